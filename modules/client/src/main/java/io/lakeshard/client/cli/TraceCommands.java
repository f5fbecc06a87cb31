package io.lakeshard.client.cli;

import io.lakeshard.api.v1.AttributeFilter;
import io.lakeshard.api.v1.AttributeRange;
import io.lakeshard.api.v1.AttributeValue;
import io.lakeshard.api.v1.Consistency;
import io.lakeshard.api.v1.GetRedMetricsRequest;
import io.lakeshard.api.v1.GetTraceRequest;
import io.lakeshard.api.v1.ListServicesRequest;
import io.lakeshard.api.v1.ReadSpansRequest;
import io.lakeshard.api.v1.SearchTracesRequest;
import io.lakeshard.api.v1.TimeRange;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.replay.OtlpTarget;
import io.lakeshard.client.replay.Protocol;
import io.lakeshard.client.replay.Replayer;
import io.lakeshard.client.traces.RedPoint;
import io.lakeshard.client.traces.ServiceOperations;
import io.lakeshard.client.traces.TracePage;
import io.lakeshard.client.traces.TraceSummary;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lakeshard traces ...}: a trace as a waterfall, search, services, RED metrics, and replay as OTLP. */
@Command(name = "traces", description = "Trace queries over a trace dataset (otel.traces.spans unless --dataset).",
        subcommands = {TraceCommands.Show.class, TraceCommands.Search.class, TraceCommands.Services.class, TraceCommands.Red.class,
            TraceCommands.Replay.class})
final class TraceCommands extends LakeshardCli.Group {
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("-?\\d+\\.\\d+(?:[eE][-+]?\\d+)?|-?\\d+[eE][-+]?\\d+");

    /** The dataset, and the time range: the last {@code --since}, or {@code --from} [{@code --to}]. */
    static final class Scope {
        @Option(names = "--dataset", defaultValue = "", description = "a trace dataset (default: otel.traces.spans)")
        String dataset;

        @Option(names = "--since", defaultValue = "1h", description = "how far back from now (default: ${DEFAULT-VALUE})")
        String since;

        @Option(names = "--from", description = "the start of the range, an ISO instant (2026-11-20T10:00:00Z); instead of --since")
        String from;

        @Option(names = "--to", description = "the end of the range, an ISO instant (default: now)")
        String to;

        boolean explicit() {
            return from != null || to != null;
        }

        TimeRange range() {
            Instant end = to == null ? Instant.now() : instant(to, "--to");
            Instant start = from == null ? end.minus(Durations.parse(since, "--since")) : instant(from, "--from");
            return TimeRange.newBuilder().setStartUnixNano(nanos(start)).setEndUnixNano(nanos(end)).build();
        }

        private static Instant instant(String text, String option) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(option + " takes an ISO instant like 2026-11-20T10:00:00Z; not '" + text + "'");
            }
        }
    }

    @Command(name = "show", description = "Draw a trace as a waterfall: its spans as a tree, each with a bar on the trace's time axis.")
    static final class Show extends LakeshardCli.Base {
        @Parameters(index = "0", description = "the trace id, 32 hex digits")
        String traceId;

        @Option(names = "--dataset", defaultValue = "", description = "a trace dataset (default: otel.traces.spans)")
        String dataset;

        @Option(names = "--width", defaultValue = "40", description = "columns of the time axis (default: ${DEFAULT-VALUE})")
        int width;

        @Override
        void run(LakeshardClient client) {
            Waterfall waterfall = new Waterfall(width);
            waterfall.lines(client.getTrace(GetTraceRequest.newBuilder().setTraceId(traceId).setDataset(dataset)
                    .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())).forEach(out()::println);
        }
    }

    @Command(name = "search", description = "Traces with a span matching every filter, newest first.")
    static final class Search extends LakeshardCli.Base {
        @Mixin
        Scope scope;

        @Option(names = "--service", description = "the span's service")
        String service;

        @Option(names = "--operation", description = "the span's name")
        String operation;

        @Option(names = "--error", description = "only error spans (status code 2)")
        boolean error;

        @Option(names = "--min-duration", description = "the span lasts at least this (100ms, 1.5s, ...)")
        String minDuration;

        @Option(names = "--max-duration", description = "the span lasts at most this")
        String maxDuration;

        @Option(names = "--attr", description = "a span attribute, key=value; repeat for more. true/false, integers and "
                + "decimals match those types; quote a value (key='\"42\"') to match it as a string")
        List<String> attributes = new ArrayList<>();

        @Option(names = "--resource-attr", description = "a resource attribute, key=value, as --attr")
        List<String> resourceAttributes = new ArrayList<>();

        @Option(names = "--attr-range", description = "a numeric span attribute in a range, key=min..max (either may be left out)")
        List<String> ranges = new ArrayList<>();

        @Option(names = "--limit", defaultValue = "20", description = "traces per page (default: ${DEFAULT-VALUE}, at most 1000)")
        int limit;

        @Option(names = "--cursor", description = "the next page, as the previous page printed it")
        String cursor;

        @Override
        void run(LakeshardClient client) {
            SearchTracesRequest.Builder request = SearchTracesRequest.newBuilder().setDataset(scope.dataset).setLimit(limit)
                    .setErrorsOnly(error).setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES);
            // A next page searches the first page's range, which the cursor carries: "the last hour" must not move.
            if (cursor == null || scope.explicit()) {
                request.setTimeRange(scope.range());
            }
            if (cursor != null) {
                request.setPageCursor(cursor);
            }
            if (service != null) {
                request.setServiceName(service);
            }
            if (operation != null) {
                request.setSpanName(operation);
            }
            if (minDuration != null) {
                request.setMinDurationNs(Durations.parse(minDuration, "--min-duration").toNanos());
            }
            if (maxDuration != null) {
                request.setMaxDurationNs(Durations.parse(maxDuration, "--max-duration").toNanos());
            }
            attributes.forEach(text -> request.addSpanAttributes(attribute(text, "--attr")));
            resourceAttributes.forEach(text -> request.addResourceAttributes(attribute(text, "--resource-attr")));
            ranges.forEach(text -> request.addAttributeRanges(range(text)));
            TracePage page = client.searchTraces(request.build());
            List<List<String>> rows = new ArrayList<>();
            for (TraceSummary trace : page.traces()) {
                rows.add(List.of(trace.traceId(), Instant.ofEpochSecond(0, trace.startTimeUnixNano()).toString(),
                        Durations.format(trace.durationNanos()), String.valueOf(trace.spanCount()), String.valueOf(trace.errorCount()),
                        (trace.rootMissing() ? "(no root) " : "") + trace.rootServiceName() + ": " + trace.rootSpanName(),
                        String.join(", ", trace.serviceNames())));
            }
            TablePrinter.printTable(out(), client.allocator(), List.of("trace_id", "start", "duration", "spans", "errors", "root", "services"), rows);
            page.nextCursor().ifPresent(next -> out().println("next page: --cursor " + next));
        }
    }

    @Command(name = "services", description = "The services that recorded spans, and their operations.")
    static final class Services extends LakeshardCli.Base {
        @Mixin
        Scope scope;

        @Override
        void run(LakeshardClient client) {
            List<List<String>> rows = new ArrayList<>();
            for (ServiceOperations service : client.services(ListServicesRequest.newBuilder().setDataset(scope.dataset)
                    .setTimeRange(scope.range()).setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build())) {
                service.operations().forEach(operation -> rows.add(List.of(service.serviceName(), operation.spanName(),
                        String.valueOf(operation.spanCount()))));
            }
            TablePrinter.printTable(out(), client.allocator(), List.of("service", "operation", "spans"), rows);
        }
    }

    @Command(name = "red", description = "Rate, errors and duration percentiles per service and time bucket.")
    static final class Red extends LakeshardCli.Base {
        @Mixin
        Scope scope;

        @Option(names = "--service", description = "one service (default: all)")
        String service;

        @Option(names = "--bucket", defaultValue = "1m", description = "bucket length, whole seconds (default: ${DEFAULT-VALUE})")
        String bucket;

        @Option(names = "--by-operation", description = "also by span name")
        boolean byOperation;

        @Override
        void run(LakeshardClient client) {
            Duration length = Durations.parse(bucket, "--bucket");
            GetRedMetricsRequest.Builder request = GetRedMetricsRequest.newBuilder().setDataset(scope.dataset)
                    .setTimeRange(scope.range()).setBucketSeconds(length.toSeconds()).setBySpanName(byOperation)
                    .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES);
            if (service != null) {
                request.setServiceName(service);
            }
            List<List<String>> rows = new ArrayList<>();
            for (RedPoint point : client.redMetrics(request.build())) {
                List<String> row = new ArrayList<>(List.of(point.serviceName()));
                if (byOperation) {
                    row.add(point.spanName());
                }
                row.addAll(List.of(Instant.ofEpochSecond(0, point.bucketStartUnixNano()).toString(), String.valueOf(point.requests()),
                        String.format(Locale.ROOT, "%.3f", point.ratePerSecond()), String.valueOf(point.errors()),
                        String.format(Locale.ROOT, "%.1f%%", point.errorRate() * 100),
                        Durations.format(Math.round(point.p50Nanos())), Durations.format(Math.round(point.p95Nanos())),
                        Durations.format(Math.round(point.p99Nanos()))));
                rows.add(row);
            }
            List<String> columns = new ArrayList<>(List.of("service"));
            if (byOperation) {
                columns.add("operation");
            }
            columns.addAll(List.of("bucket", "requests", "rate/s", "errors", "error_rate", "p50", "p95", "p99"));
            TablePrinter.printTable(out(), client.allocator(), columns, rows);
        }
    }

    @Command(name = "replay", description = "Send the spans of a time range as OTLP to an OTLP/gRPC or OTLP/HTTP endpoint "
            + "(a Collector, another backend, another Lakeshard), in batches, with retries, at most at a rate.")
    static final class Replay extends LakeshardCli.Base {
        @Mixin
        Scope scope;

        @Option(names = "--service", description = "only spans of this service; repeat for more")
        List<String> services = new ArrayList<>();

        @Option(names = "--trace-id", description = "only spans of this trace (32 hex digits); repeat for more")
        List<String> traceIds = new ArrayList<>();

        @Option(names = "--endpoint", required = true, description = "the target, http(s)://host:port; over OTLP/HTTP the spans "
                + "are posted to <endpoint>/v1/traces")
        String endpoint;

        @Option(names = "--protocol", defaultValue = "http/protobuf", description = "grpc or http/protobuf (default: ${DEFAULT-VALUE})")
        String protocol;

        @Option(names = "--header", description = "a header for the target, key=value (authorization=Bearer ...); repeat for more")
        List<String> headers = new ArrayList<>();

        @Option(names = "--rate", description = "at most this many spans a second (default: as fast as the target takes them)")
        Double rate;

        @Option(names = "--batch", defaultValue = "1000", description = "spans per export (default: ${DEFAULT-VALUE}, at most 10000)")
        int batch;

        @Option(names = "--give-up-after", defaultValue = "5m", description = "how long to retry one export before stopping "
                + "(default: ${DEFAULT-VALUE})")
        String giveUpAfter;

        @Option(names = "--timeout", defaultValue = "10s", description = "how long one export may take (default: ${DEFAULT-VALUE})")
        String timeout;

        @Override
        void run(LakeshardClient client) throws InterruptedException {
            TimeRange range = scope.range();
            ReadSpansRequest request = ReadSpansRequest.newBuilder().setDataset(scope.dataset).setTimeRange(range)
                    .addAllServiceNames(services).addAllTraceIds(traceIds).setPageSpans(batch)
                    .setConsistency(Consistency.CONSISTENCY_READ_YOUR_WRITES).build();
            Replayer.Settings settings = Replayer.Settings.defaults().withGiveUpAfter(Durations.parse(giveUpAfter, "--give-up-after"));
            if (rate != null) {
                settings = settings.withRate(rate);
            }
            Protocol wire = Protocol.parse(protocol);
            long started = System.nanoTime();
            Replayer.Report report;
            try (OtlpTarget target = OtlpTarget.open(client, URI.create(endpoint), wire, headers(),
                    Durations.parse(timeout, "--timeout"))) {
                ProgressLine line = new ProgressLine(err(), ProgressLine.stderrIsTerminal(), started, System::nanoTime);
                try {
                    report = new Replayer(target, settings).replay(client, request, progress -> {
                        if (line.due()) {
                            line.show(progressLine(progress, Math.max(1e-3, (System.nanoTime() - started) / 1e9)));
                        }
                    });
                } finally {
                    line.done();
                }
            }
            Replayer.Progress totals = report.totals();
            double seconds = Math.max(1e-3, report.elapsed().toNanos() / 1e9);
            if (report.failure().isPresent()) {
                Replayer.Failure failure = report.failure().get();
                if (failure.spans() == 0 && failure.firstSpan() == 1) {
                    // Nothing was read: the server's refusal, as any command prints it.
                    throw new CommandException(failure.reason());
                }
                throw new CommandException((failure.spans() > 0
                        ? String.format(Locale.ROOT, "page %d (spans %,d to %,d) was not delivered: ", failure.page(), failure.firstSpan(),
                                failure.firstSpan() + failure.spans() - 1)
                        : String.format(Locale.ROOT, "page %d could not be read: ", failure.page()))
                        + failure.reason() + String.format(Locale.ROOT, "; the %,d spans before it were delivered. To resume: --from %s --to %s",
                                failure.firstSpan() - 1, instant(failure.resumeFromUnixNano()), instant(range.getEndUnixNano())));
            }
            out().printf(Locale.ROOT, "replayed %,d spans (%,d pages) to %s over %s in %.1f s, %,d spans/s%s%n", totals.spansSent(),
                    totals.pages(), endpoint, wire, seconds, Math.round(totals.spansSent() / seconds),
                    totals.retries() == 0 ? "" : String.format(Locale.ROOT, ", %,d retries", totals.retries()));
            if (totals.spansRejected() > 0) {
                throw new CommandException(String.format(Locale.ROOT, "the target rejected %,d of the %,d spans (OTLP partial success): ",
                        totals.spansRejected(), totals.spansSent()) + String.join("; ", report.rejections()));
            }
        }

        private Map<String, String> headers() {
            Map<String, String> parsed = new LinkedHashMap<>();
            for (String header : headers) {
                int equals = header.indexOf('=');
                if (equals <= 0) {
                    throw new IllegalArgumentException("--header takes key=value; not '" + header + "'");
                }
                parsed.put(header.substring(0, equals).strip(), header.substring(equals + 1).strip());
            }
            return parsed;
        }

        private static String progressLine(Replayer.Progress progress, double seconds) {
            return String.format(Locale.ROOT, "%,d of %,d spans sent  %,d spans/s", progress.spansSent(), progress.spansRead(),
                    Math.round(progress.spansSent() / seconds))
                    + (progress.retries() == 0 ? "" : String.format(Locale.ROOT, "  %,d retries", progress.retries()))
                    + (progress.spansRejected() == 0 ? "" : String.format(Locale.ROOT, "  %,d rejected", progress.spansRejected()));
        }

        private static String instant(long unixNano) {
            return Instant.ofEpochSecond(0, unixNano).toString();
        }
    }

    /**
     * {@code key=value}: {@code true}/{@code false} a bool, an integer an int, a decimal a double, anything else (or
     * anything in quotes) a string.
     */
    private static AttributeFilter attribute(String text, String option) {
        int equals = text.indexOf('=');
        if (equals <= 0) {
            throw new IllegalArgumentException(option + " takes key=value; not '" + text + "'");
        }
        String value = text.substring(equals + 1);
        AttributeValue.Builder typed = AttributeValue.newBuilder();
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
            typed.setStringValue(value.substring(1, value.length() - 1));
        } else if (value.equals("true") || value.equals("false")) {
            typed.setBoolValue(Boolean.parseBoolean(value));
        } else if (INTEGER.matcher(value).matches()) {
            typed.setIntValue(Long.parseLong(value));
        } else if (DECIMAL.matcher(value).matches()) {
            typed.setDoubleValue(Double.parseDouble(value));
        } else {
            typed.setStringValue(value);
        }
        return AttributeFilter.newBuilder().setKey(text.substring(0, equals)).setValue(typed).build();
    }

    private static AttributeRange range(String text) {
        int equals = text.indexOf('=');
        int dots = text.indexOf("..", Math.max(equals, 0));
        if (equals <= 0 || dots < 0) {
            throw new IllegalArgumentException("--attr-range takes key=min..max; not '" + text + "'");
        }
        AttributeRange.Builder range = AttributeRange.newBuilder().setKey(text.substring(0, equals));
        String min = text.substring(equals + 1, dots);
        String max = text.substring(dots + 2);
        try {
            if (!min.isEmpty()) {
                range.setMin(Double.parseDouble(min));
            }
            if (!max.isEmpty()) {
                range.setMax(Double.parseDouble(max));
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--attr-range takes numbers, key=min..max; not '" + text + "'");
        }
        return range.build();
    }

    private static long nanos(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }
}
