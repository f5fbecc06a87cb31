package io.lakeshard.service.sampling;

import static java.util.Objects.requireNonNull;

import io.lakeshard.query.Consistency;
import io.lakeshard.service.Principal;
import io.lakeshard.service.ServiceErrors;
import io.lakeshard.service.ServiceException;
import io.lakeshard.service.ServiceException.Code;
import io.lakeshard.service.datasets.Datasets;
import io.lakeshard.service.ingest.Ingest;
import io.lakeshard.service.ingest.WriteRequest;
import io.lakeshard.service.ingest.WriteResult;
import io.lakeshard.service.traces.ReadOptions;
import io.lakeshard.service.traces.Traces;
import io.lakeshard.storage.dataset.MaintenancePolicy;
import io.lakeshard.storage.table.IdempotencyKey;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.sampling.Candidate;
import io.lakeshard.traces.sampling.CandidateQuery;
import io.lakeshard.traces.sampling.DecidedTraces;
import io.lakeshard.traces.sampling.Decider;
import io.lakeshard.traces.sampling.Decision;
import io.lakeshard.traces.sampling.DecisionRow;
import io.lakeshard.traces.sampling.DecisionTable;
import io.lakeshard.traces.sampling.SamplerStatements;
import io.lakeshard.traces.sampling.SamplerStatements.DecisionPage;
import io.lakeshard.traces.sampling.SamplerStatements.LateTrace;
import io.lakeshard.traces.sampling.SamplerStatements.TickRows;
import io.lakeshard.traces.sampling.TickWindow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * What a sampler's owner does outside the actor: a tick's queries and its one write, and one page of kept traces
 * read for export. Every query runs as the sampler's tenant, through the same admission, sandbox and limits as the
 * tenant's own.
 */
public final class SamplerWork {
    /** The owner's reads wait for commits made anywhere in the cluster. */
    private static final ReadOptions READ = new ReadOptions(Consistency.LATEST_COMMITTED, Optional.of(Duration.ofMinutes(2)));

    /** What a tick wrote: counts for the sampler's status and metrics; {@code replayed} when found already written. */
    record TickOutcome(long rows, long decided, long kept, long late, Map<String, Long> keptByPolicy, List<Duration> lags,
            boolean truncated, boolean replayed) {
        /** A tick found written: what its rows say (the lags were the lost attempt's to measure). */
        static TickOutcome replayed(TickRows written) {
            return new TickOutcome(written.rows(), written.decided(), written.kept(), written.late(), written.keptByPolicy(), List.of(),
                    false, true);
        }
    }

    /** A page delivered: rows confirmed through {@code through}, and how many traces and spans went. */
    record ExportOutcome(long through, long rows, long spans) {}

    private final Traces traces;
    private final Ingest ingest;
    private final Datasets datasets;
    private final BufferAllocator allocator;
    private final Clock clock;
    private final SamplingSettings settings;

    public SamplerWork(Traces traces, Ingest ingest, Datasets datasets, BufferAllocator allocator, Clock clock, SamplingSettings settings) {
        this.traces = requireNonNull(traces, "traces is null");
        this.ingest = requireNonNull(ingest, "ingest is null");
        this.datasets = requireNonNull(datasets, "datasets is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    SamplingSettings settings() {
        return settings;
    }

    /**
     * Checks the span dataset is the tenant's trace dataset, and registers the decisions dataset (registering it again
     * answers the one there).
     */
    CompletionStage<Void> prepare(SamplerSpec spec) {
        Principal principal = Principal.tenant(spec.tenant());
        return datasets.get(principal, spec.spans()).thenCompose(info -> {
            if (!SpanSchema.isSpanTable(info.definition().userSchema())) {
                throw new ServiceException(Code.INVALID_ARGUMENT, "dataset: " + spec.spans()
                        + " is not a trace dataset (one OTLP exports are written to)");
            }
            return datasets.register(principal, spec.decisions(), DecisionTable.definition(), MaintenancePolicy.defaults());
        }).thenAccept(info -> {
            if (!info.definition().userSchema().equals(DecisionTable.schema())) {
                throw new ServiceException(Code.FAILED_PRECONDITION, "name: dataset " + spec.decisions()
                        + " exists and is not a decisions dataset; name the sampler otherwise or drop it");
            }
        });
    }

    /**
     * Tick {@code tick}: its decisions and late rows, numbered from {@code firstSequence}, written as one write keyed
     * by the tick. A tick started before a crash ({@code resumed}) is looked up first: a tick is one write, so if any
     * row of it is in the dataset, all are, and it is not run again.
     */
    CompletionStage<TickOutcome> tick(SamplerSpec spec, long tick, TickWindow window, long firstSequence, boolean resumed) {
        Principal principal = Principal.tenant(spec.tenant());
        if (!resumed) {
            return decide(spec, principal, tick, window, firstSequence);
        }
        return traces.run(principal, () -> SamplerStatements.tickRows(spec.decisions(), tick), READ)
                .thenCompose(written -> written.rows() > 0
                        ? CompletableFuture.completedFuture(TickOutcome.replayed(written))
                        : decide(spec, principal, tick, window, firstSequence));
    }

    private CompletionStage<TickOutcome> decide(SamplerSpec spec, Principal principal, long tick, TickWindow window, long firstSequence) {
        CandidateQuery query = CandidateQuery.of(spec.definition(), spec.spans(), window.spans(), window.now(),
                Optional.of(new DecidedTraces(spec.decisions(), window.decidedSince())));
        int limit = settings.maxCandidatesPerTick();
        CompletionStage<List<Candidate>> candidates = traces.run(principal, () -> SamplerStatements.candidates(query, limit), READ);
        return candidates.thenCompose(found -> traces.run(principal,
                () -> SamplerStatements.lateTraces(spec.spans(), spec.decisions(), window, Long.MAX_VALUE), READ)
                .thenCompose(late -> write(spec, principal, tick, window, firstSequence, found, late, found.size() >= limit)));
    }

    private CompletionStage<TickOutcome> write(SamplerSpec spec, Principal principal, long tick, TickWindow window, long firstSequence,
            List<Candidate> candidates, List<LateTrace> late, boolean truncated) {
        Decider decider = new Decider(spec.definition());
        Instant decidedAt = clock.instant();
        List<DecisionRow> rows = new ArrayList<>(candidates.size() + late.size());
        Map<String, Long> keptByPolicy = new HashMap<>();
        List<Duration> lags = new ArrayList<>(candidates.size());
        long sequence = firstSequence;
        long kept = 0;
        for (Candidate candidate : candidates) {
            Decision decision = decider.decide(candidate);
            Instant readyAt = candidate.readyAt(spec.definition());
            rows.add(DecisionRow.decision(sequence++, decision, candidate, tick, decidedAt, readyAt, window));
            lags.add(Duration.between(readyAt, decidedAt));
            if (decision.keep()) {
                kept++;
                keptByPolicy.merge(decision.policy().orElseThrow(), 1L, Long::sum);
            }
        }
        for (LateTrace trace : late) {
            // A late span may have started before the window: the row's start times reach back to it.
            long windowFrom = Math.min(window.spans().startUnixNano(), trace.firstStartUnixNano());
            rows.add(new DecisionRow(sequence++, trace.traceId(), true, true, Optional.of(trace.policy()), tick, decidedAt, window.now(),
                    trace.spanCount(), windowFrom, window.spans().endUnixNano(), TickWindow.micros(window.lateFrom()),
                    window.arrivedUntilMicros()));
        }
        if (rows.isEmpty()) {
            return CompletableFuture.completedFuture(new TickOutcome(0, 0, 0, 0, Map.of(), List.of(), truncated, false));
        }
        long keptTraces = kept;
        VectorSchemaRoot batch = DecisionTable.batch(rows, allocator);
        WriteRequest request = new WriteRequest(spec.decisions(), Optional.of(new IdempotencyKey(appId(spec), tick)), bytes(batch));
        CompletionStage<WriteResult> result;
        try {
            result = ingest.write(principal, request, batch);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(ServiceErrors.map(e));
        }
        // A replay is a tick the lost attempt wrote after all (the lookup missed it): its rows say what it decided.
        return result.thenCompose(written -> written.replay()
                ? traces.run(principal, () -> SamplerStatements.tickRows(spec.decisions(), tick), READ).thenApply(TickOutcome::replayed)
                : CompletableFuture.completedFuture(
                        new TickOutcome(rows.size(), candidates.size(), keptTraces, late.size(), keptByPolicy, lags, truncated, false)));
    }

    /**
     * The next page of kept rows after {@code after} and before {@code before} (the first sequence no completed tick
     * wrote), with the spans they deliver; confirms through {@code before - 1} when no kept row is left.
     */
    CompletionStage<ExportOutcome> exportPage(SamplerSpec spec, long after, long before, OtlpSender sender) {
        Principal principal = Principal.tenant(spec.tenant());
        int limit = settings.exportPageTraces();
        return traces.run(principal, () -> SamplerStatements.decisions(spec.decisions(), after, before, false, true, limit), READ)
                .thenCompose((DecisionPage page) -> {
                    long through = page.more() ? page.rows().get(page.rows().size() - 1).sequence() : before - 1;
                    if (page.rows().isEmpty()) {
                        return CompletableFuture.completedFuture(new ExportOutcome(through, 0, 0));
                    }
                    return traces.run(principal, () -> SamplerStatements.keptSpans(spec.spans(), page.rows()), READ)
                            .thenCompose(spans -> spans.spanCount() == 0
                                    ? CompletableFuture.completedFuture(new ExportOutcome(through, page.rows().size(), 0))
                                    : sender.send(spans.spans()).thenApply(done -> new ExportOutcome(through, page.rows().size(),
                                            spans.spanCount())));
                });
    }

    /** The key's writer: one per sampler, its sequence the tick. */
    private static String appId(SamplerSpec spec) {
        return "sampler/" + spec.definition().name();
    }

    private static long bytes(VectorSchemaRoot batch) {
        long bytes = 0;
        for (FieldVector vector : batch.getFieldVectors()) {
            bytes += vector.getBufferSize();
        }
        return bytes;
    }
}
