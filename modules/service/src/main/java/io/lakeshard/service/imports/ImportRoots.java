package io.lakeshard.service.imports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A tenant's own directories of the import roots, {@code <root>/<tenant>/}: the only places it may import files from
 * or adopt a table in, so one tenant never reads another's files, or any file the operator did not offer.
 */
public final class ImportRoots {
    private final List<String> roots;

    /** @param roots the import roots, as URIs ending in '/' */
    public ImportRoots(List<String> roots) {
        this.roots = List.copyOf(requireNonNull(roots, "roots is null"));
    }

    /**
     * {@code given} as a directory URI, ending in '/', inside one of the tenant's import directories. A local path is
     * resolved through its links first, so a link cannot lead out of the tenant's directory.
     *
     * @param field the request field {@code given} came in, for the messages
     */
    public String directory(String tenant, String field, String given) {
        if (given.isBlank()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, field + ": expected a directory (a path, file: or s3a: URI)");
        }
        URI uri;
        try {
            uri = given.contains("://") || given.startsWith("file:") ? URI.create(given) : Path.of(given).toUri();
        } catch (IllegalArgumentException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, field + ": not a path or URI: " + e.getMessage());
        }
        String normalized;
        if ("file".equals(uri.getScheme())) {
            Path path = Path.of(uri).toAbsolutePath().normalize();
            try {
                path = Files.exists(path) ? path.toRealPath() : path;
            } catch (IOException e) {
                throw new ServiceException(Code.INVALID_ARGUMENT, field + ": cannot read " + given + ": " + e.getMessage());
            }
            normalized = path.toUri().toString();
        } else if ("s3a".equals(uri.getScheme()) && uri.getAuthority() != null) {
            normalized = uri.normalize().toString();
        } else {
            throw new ServiceException(Code.INVALID_ARGUMENT, field + ": expected a local directory or s3a://bucket/prefix, got " + given);
        }
        String directory = normalized.endsWith("/") ? normalized : normalized + "/";
        for (String root : roots) {
            if (directory.startsWith(root + tenant + "/") && !directory.contains("/../")) {
                return directory;
            }
        }
        throw new ServiceException(Code.PERMISSION_DENIED, field + ": " + given + " is not in this tenant's import directory; "
                + "allowed: " + roots.stream().map(root -> root + tenant + "/").toList());
    }
}
