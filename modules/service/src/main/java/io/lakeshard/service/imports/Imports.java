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
import io.lakeshard.service.files.TenantDirectories;
import io.lakeshard.storage.dataset.DatasetName;
import java.nio.file.FileSystems;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/** Import jobs of the caller's tenant, from the tenant's own directory of an import root. */
public final class Imports {
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final String DEFAULT_GLOB = "**.parquet";
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);

    private final ImportJobs jobs;
    private final TenantDirectories sources;
    private final IngestRouter router;

    /** @param sources the import roots */
    public Imports(ImportJobs jobs, TenantDirectories sources, IngestRouter router) {
        this.jobs = requireNonNull(jobs, "jobs is null");
        this.sources = requireNonNull(sources, "sources is null");
        this.router = requireNonNull(router, "router is null");
    }

    /** The request as a user gave it; {@code glob} empty and durations zero for the defaults. */
    public record StartRequest(String jobId, String dataset, String source, String glob, boolean watch, Duration interval, Duration minAge) {}

    public CompletionStage<ImportJob.JobStatus> start(Principal principal, StartRequest request) {
        String jobId = jobId(request.jobId());
        DatasetName dataset = DatasetName.parse(request.dataset());
        String source = sources.directory(principal.tenant(), request.source(), "source");
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
                .thenCompose(record -> {
                    record.requireWritable();
                    return jobs.start(jobId, spec);
                })
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
}
