package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.grpc.javadsl.Metadata;
import io.lakeshard.api.v1.GetImportRequest;
import io.lakeshard.api.v1.ImportFailure;
import io.lakeshard.api.v1.ImportJob;
import io.lakeshard.api.v1.ImportServicePowerApi;
import io.lakeshard.api.v1.ListImportsRequest;
import io.lakeshard.api.v1.ListImportsResponse;
import io.lakeshard.api.v1.StartImportRequest;
import io.lakeshard.api.v1.StopImportRequest;
import io.lakeshard.cluster.imports.ImportJob.JobStatus;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.imports.Imports;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;

/** ImportService over gRPC. */
public final class ImportGrpc implements ImportServicePowerApi {
    private final Imports imports;
    private final ApiKeys keys;

    public ImportGrpc(Imports imports, ApiKeys keys) {
        this.imports = requireNonNull(imports, "imports is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public CompletionStage<ImportJob> startImport(StartImportRequest in, Metadata metadata) {
        return Errors.guarded(() -> imports.start(Callers.principal(keys, metadata), new Imports.StartRequest(in.getJobId(),
                        in.getDataset(), in.getSource(), in.getGlob(), in.getWatch(), Duration.ofMillis(in.getIntervalMillis()),
                        Duration.ofMillis(in.getMinAgeMillis())))
                .thenApply(ImportGrpc::job));
    }

    @Override
    public CompletionStage<ImportJob> getImport(GetImportRequest in, Metadata metadata) {
        return Errors.guarded(() -> imports.get(Callers.principal(keys, metadata), in.getJobId()).thenApply(ImportGrpc::job));
    }

    @Override
    public CompletionStage<ListImportsResponse> listImports(ListImportsRequest in, Metadata metadata) {
        return Errors.guarded(() -> imports.list(Callers.principal(keys, metadata))
                .thenApply(jobs -> ListImportsResponse.newBuilder().addAllJobs(jobs.stream().map(ImportGrpc::job).toList()).build()));
    }

    @Override
    public CompletionStage<ImportJob> stopImport(StopImportRequest in, Metadata metadata) {
        return Errors.guarded(() -> imports.stop(Callers.principal(keys, metadata), in.getJobId()).thenApply(ImportGrpc::job));
    }

    private static ImportJob job(JobStatus status) {
        ImportJob.Builder job = ImportJob.newBuilder().setJobId(status.id()).setDataset(status.spec().dataset().toString())
                .setSource(status.spec().source()).setGlob(status.spec().glob()).setWatch(status.spec().watch())
                .setState(status.phase().name()).setFilesFound(status.filesFound()).setFilesImported(status.filesImported())
                .setFilesFailed(status.filesFailed()).setFilesWaiting(status.filesWaiting()).setRows(status.rows())
                .setBytes(status.bytes()).setCommits(status.commits()).setLastVersion(status.lastVersion())
                .setLastError(status.lastError() == null ? "" : status.lastError())
                .setStartedAtMillis(millis(status.startedAt())).setLastListedAtMillis(millis(status.lastListedAt()))
                .setFinishedAtMillis(millis(status.finishedAt()));
        status.failures().forEach(failure -> job.addFailures(ImportFailure.newBuilder().setPath(failure.path()).setReason(failure.reason())));
        return job.build();
    }

    private static long millis(Instant at) {
        return at == null ? 0 : at.toEpochMilli();
    }
}
