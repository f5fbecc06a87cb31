package io.lakeshard.service.files;

import static java.util.Objects.requireNonNull;

import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Directories the operator offers tenants files in (import and export roots): a tenant reaches only {@code
 * <root>/<tenant>/} of each, so one tenant never touches another's files, or any file the operator did not offer.
 */
public final class TenantDirectories {
    private final List<String> roots;

    /** @param roots URIs ending in '/': {@code file:} (resolved through links) or {@code s3a:} */
    public TenantDirectories(List<String> roots) {
        this.roots = List.copyOf(requireNonNull(roots, "roots is null"));
    }

    /**
     * {@code given} as a directory URI inside one of the tenant's directories: an absolute path, a {@code file:} or
     * {@code s3a:} URI, or a path relative to the tenant's directory of the first root. A local path is resolved
     * through its links first (those of its deepest existing parent, if it does not exist yet), so a link cannot lead
     * out of the tenant's directory.
     */
    public String directory(String tenant, String given, String field) {
        if (given.isBlank()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, field + ": expected a directory (a path, file: or s3a: URI)");
        }
        URI uri;
        try {
            if (given.contains("://") || given.startsWith("file:")) {
                uri = URI.create(given);
            } else if (Path.of(given).isAbsolute() || roots.isEmpty()) {
                uri = Path.of(given).toUri();
            } else {
                uri = URI.create(roots.get(0) + tenant + "/").resolve(new URI(null, null, given, null));
            }
        } catch (IllegalArgumentException | URISyntaxException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, field + ": not a path or URI: " + e.getMessage());
        }
        String normalized;
        if ("file".equals(uri.getScheme())) {
            normalized = real(Path.of(uri).toAbsolutePath().normalize(), given, field).toUri().toString();
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
        throw new ServiceException(Code.PERMISSION_DENIED, field + ": " + given + " is not in this tenant's directory; "
                + "allowed: " + roots.stream().map(root -> root + tenant + "/").toList());
    }

    /** Whether {@code directory} (as {@link #directory} gave it) is the tenant's directory itself, not one inside it. */
    public boolean isTenantDirectory(String tenant, String directory) {
        return roots.stream().anyMatch(root -> directory.equals(root + tenant + "/"));
    }

    private static Path real(Path path, String given, String field) {
        Path existing = path;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return path;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(path));
        } catch (IOException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, field + ": cannot read " + given + ": " + e.getMessage());
        }
    }
}
