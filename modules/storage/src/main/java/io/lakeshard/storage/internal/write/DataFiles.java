package io.lakeshard.storage.internal.write;

import io.lakeshard.storage.write.NewDataFile;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Locating and abandoning data files below a table root. */
public final class DataFiles {
    private static final Logger log = LoggerFactory.getLogger(DataFiles.class);

    private DataFiles() {}

    /** The absolute URI of an unescaped relative path: characters such as '%' in partition values stay literal. */
    public static URI resolve(URI tableRoot, String relativePath) {
        try {
            return new URI(tableRoot.getScheme(), tableRoot.getAuthority(), tableRoot.getPath() + relativePath, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("bad data file path " + relativePath, e);
        }
    }

    /** Deletes files that will never be committed; a failure only leaves an orphan for vacuum. */
    public static void deleteQuietly(Configuration conf, URI tableRoot, List<NewDataFile> files) {
        for (NewDataFile file : files) {
            URI uri = resolve(tableRoot, file.relativePath());
            try {
                new Path(uri).getFileSystem(conf).delete(new Path(uri), false);
            } catch (IOException e) {
                log.warn("could not delete uncommitted file {}; vacuum will remove it", uri, e);
            }
        }
    }
}
