package io.lakeshard.service.imports;

import static java.util.Objects.requireNonNull;

import io.lakeshard.cluster.imports.ImportJob;
import io.lakeshard.cluster.imports.ImportJobs;
import io.lakeshard.cluster.imports.ImportSpec;
import io.lakeshard.cluster.table.IngestRouter;
import io.lakeshard.service.Audit;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.storage.dataset.DatasetName;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Import jobs of the caller's tenant: the source must be in the tenant's own directory of an import root, so one
 * tenant never reads another's files, or any file the operator did not offer.
 */
public final class Imports {
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final String DEFAULT_GLOB = "**.parquet";
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);

    private final ImportJobs jobs;
    private final List<String> roots;
    private final IngestRouter router;

    /** @param roots the import roots, as URIs ending in '/' */
    public Imports(ImportJobs jobs, List<String> roots, IngestRouter router) {
        this.jobs = requireNonNull(jobs, "jobs is null");
        this.roots = List.copyOf(requireNonNull(roots, "roots is null"));
        this.router = requireNonNull(router, "router is null");
    }

    /** The request as a user gave it; {@code glob} empty and durations zero for the defaults. */
    public record StartRequest(String jobId, String dataset, String source, String glob, boolean watch, Duration interval, Duration minAge) {}

    public CompletionStage<ImportJob.JobStatus> start(Principal principal, StartRequest request) {
        String jobId = jobId(request.jobId());
        DatasetName dataset = DatasetName.parse(request.dataset());
        String source = source(principal.tenant(), request.source());
        String glob = request.glob().isEmpty() ? DEFAULT_GLOB : request.glob();
        try {
            FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (IllegalArgumentException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "glob: not a valid glob (" + e.getMessage() + ")");
        }
        Duration interval = request.interval().isZero() ? DEFAULT_INTERVAL : request.interval();
        if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "interval_millis: expected at least 1000 (one second), got " + interval.toMillis());
        }
        if (request.minAge().isNegative()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "min_age_millis: expected 0 or more, got " + request.minAge().toMillis());
        }
        ImportSpec spec = new ImportSpec(principal.tenant(), dataset, source, glob, request.watch(), interval, request.minAge());
        return Audit.audited(principal, "import", dataset + " from " + source, router.table(principal.tenant(), dataset)
                .thenCompose(record -> jobs.start(jobId, spec))
                .handle((reply, error) -> {
                    if (error != null) {
                        throw ServiceErrors.map(error);
                    }
                    if (reply.conflict() != null) {
                        throw new ServiceException(Code.ALREADY_EXISTS, "job_id: " + reply.conflict());
                    }
                    return reply.status();
                }));
    }

    public CompletionStage<ImportJob.JobStatus> get(Principal principal, String jobId) {
        return jobs.get(principal.tenant(), jobId(jobId)).handle((status, error) -> found(status, error, jobId));
    }

    public CompletionStage<ImportJob.JobStatus> stop(Principal principal, String jobId) {
        return jobs.get(principal.tenant(), jobId(jobId)).thenCompose(status -> {
            found(status, null, jobId);
            return jobs.stop(principal.tenant(), jobId);
        }).handle((status, error) -> found(status, error, jobId));
    }

    public CompletionStage<List<ImportJob.JobStatus>> list(Principal principal) {
        return jobs.list(principal.tenant()).handle((list, error) -> {
            if (error != null) {
                throw ServiceErrors.map(error);
            }
            return list.stream().filter(status -> status.spec() != null).toList();
        });
    }

    private static ImportJob.JobStatus found(ImportJob.JobStatus status, Throwable error, String jobId) {
        if (error != null) {
            throw ServiceErrors.map(error);
        }
        if (status.spec() == null) {
            throw new ServiceException(Code.NOT_FOUND, "job_id: no import job " + jobId);
        }
        return status;
    }

    private static String jobId(String jobId) {
        if (!JOB_ID.matcher(jobId).matches()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "job_id: expected 1 to 64 of A-Z, a-z, 0-9, _ and -, got '" + jobId + "'");
        }
        return jobId;
    }

    /**
     * The source as a directory URI inside one of the tenant's import directories. A local path is resolved through
     * its links first, so a link cannot lead out of the tenant's directory.
     */
    private String source(String tenant, String given) {
        if (given.isBlank()) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "source: expected a directory (a path, file: or s3a: URI)");
        }
        URI uri;
        try {
            uri = given.contains("://") || given.startsWith("file:") ? URI.create(given) : Path.of(given).toUri();
        } catch (IllegalArgumentException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "source: not a path or URI: " + e.getMessage());
        }
        String normalized;
        if ("file".equals(uri.getScheme())) {
            Path path = Path.of(uri).toAbsolutePath().normalize();
            try {
                path = Files.exists(path) ? path.toRealPath() : path;
            } catch (IOException e) {
                throw new ServiceException(Code.INVALID_ARGUMENT, "source: cannot read " + given + ": " + e.getMessage());
            }
            normalized = path.toUri().toString();
        } else if ("s3a".equals(uri.getScheme()) && uri.getAuthority() != null) {
            normalized = uri.normalize().toString();
        } else {
            throw new ServiceException(Code.INVALID_ARGUMENT, "source: expected a local directory or s3a://bucket/prefix, got " + given);
        }
        String directory = normalized.endsWith("/") ? normalized : normalized + "/";
        for (String root : roots) {
            if (directory.startsWith(root + tenant + "/") && !directory.contains("/../")) {
                return directory;
            }
        }
        throw new ServiceException(Code.PERMISSION_DENIED, "source: " + given + " is not in this tenant's import directory; "
                + "allowed: " + roots.stream().map(root -> root + tenant + "/").toList());
    }
}
