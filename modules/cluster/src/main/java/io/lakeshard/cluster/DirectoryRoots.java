package io.lakeshard.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Directories the operator offers tenants (import and export roots), as configured: URIs ending in '/'. */
public final class DirectoryRoots {
    private DirectoryRoots() {}

    /** {@code key} of {@code section}: a list in a file, or a comma-separated string from an environment variable. */
    public static List<String> from(Config section, String key) {
        List<String> given = section.getValue(key).valueType() == ConfigValueType.STRING
                ? Arrays.stream(section.getString(key).split(",")).map(String::strip).filter(root -> !root.isEmpty()).toList()
                : section.getStringList(key);
        List<String> roots = new ArrayList<>();
        for (String root : given) {
            String uri = root.contains("://") ? root : local(Path.of(root)).toUri().toString();
            roots.add(uri.endsWith("/") ? uri : uri + "/");
        }
        return List.copyOf(roots);
    }

    /** The local ones, as paths. */
    public static List<Path> local(List<String> roots) {
        return roots.stream().map(URI::create).filter(uri -> "file".equals(uri.getScheme())).map(Path::of).toList();
    }

    /** Through its links, as a path in it will be: the two compare as text. */
    private static Path local(Path root) {
        Path path = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(path);
            return path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the root " + path, e);
        }
    }
}
