package io.lakeshard.client.cli;

import io.lakeshard.client.DecisionStream;
import io.lakeshard.client.LakeshardClient;
import io.lakeshard.client.sampling.Decision;
import io.lakeshard.client.sampling.ExportOption;
import io.lakeshard.client.sampling.Sampler;
import io.lakeshard.client.sampling.SamplerOptions;
import io.lakeshard.client.sampling.SamplingPolicyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lakeshard sampler ...}: tail samplers of a trace dataset, and their decisions. */
@Command(name = "sampler", description = "Tail samplers: each decides every finished trace of a trace dataset once, by its "
        + "policies in order, and can export the kept traces over OTLP.",
        subcommands = {SamplerCommands.Create.class, SamplerCommands.ListSamplers.class, SamplerCommands.Show.class,
            SamplerCommands.Delete.class, SamplerCommands.Decisions.class})
final class SamplerCommands extends LakeshardCli.Group {
    private static final String POLICY_FORMS = "errors, slow-span>DURATION, slow-trace>DURATION, spans>COUNT, span:KEY=VALUE, "
            + "resource:KEY=VALUE or percent=PERCENT";
    private static final List<String> DECISION_COLUMNS = List.of("sequence", "trace_id", "decision", "policy", "decided_at", "lag_ms");

    /** Which sampler: a dataset and a name. */
    static final class Target {
        @Option(names = "--dataset", defaultValue = "", description = "the trace dataset (default: otel.traces.spans)")
        String dataset;

        @Option(names = "--name", required = true, description = "the sampler's name")
        String name;
    }

    @Command(name = "create", description = "Create a sampler; creating it again as it is answers it, with another definition fails.")
    static final class Create extends LakeshardCli.Base {
        @Mixin
        Target target;

        @Option(names = "--policy", required = true, description = "a policy, in the order they apply (the first that keeps a trace "
                + "decides); repeat for more: " + POLICY_FORMS + ", e.g. --policy errors --policy 'slow-span>2s' --policy percent=10 "
                + "(or slow-span=2s, without quotes: > is a redirection to a shell)")
        List<String> policies = new ArrayList<>();

        @Option(names = "--inactivity", description = "a trace is finished once no span of it arrived for this long (default: 5m)")
        String inactivity;

        @Option(names = "--max-duration", description = "... or once its first span started this long ago (default: 1h)")
        String maxDuration;

        @Option(names = "--export-http", description = "deliver kept traces to this OTLP/HTTP URL (https://collector:4318/v1/traces)")
        String exportHttp;

        @Option(names = "--export-grpc", description = "deliver kept traces to this OTLP/gRPC receiver (http://collector:4317)")
        String exportGrpc;

        @Option(names = "--export-header", description = "a header sent with every export, name=value; repeat for more")
        Map<String, String> headers = new LinkedHashMap<>();

        @Override
        void run(LakeshardClient client) {
            out().print(describe(client.createSampler(options())));
        }

        /** The sampler the options describe; every mistake named by its option. */
        SamplerOptions options() {
            SamplerOptions options = SamplerOptions.named(target.name).withDataset(target.dataset);
            for (String policy : policies) {
                options = options.withPolicy(policy(policy));
            }
            if (inactivity != null) {
                options = options.withInactivity(millis(Durations.parse(inactivity, "--inactivity"), "--inactivity"));
            }
            if (maxDuration != null) {
                options = options.withMaxTraceDuration(millis(Durations.parse(maxDuration, "--max-duration"), "--max-duration"));
            }
            if (exportHttp != null && exportGrpc != null) {
                throw new IllegalArgumentException("--export-http and --export-grpc: one export at most");
            }
            if (exportHttp == null && exportGrpc == null) {
                if (!headers.isEmpty()) {
                    throw new IllegalArgumentException("--export-header: only with --export-http or --export-grpc");
                }
                return options;
            }
            ExportOption export = exportHttp != null ? ExportOption.http(exportHttp) : ExportOption.grpc(exportGrpc);
            for (Map.Entry<String, String> header : headers.entrySet()) {
                export = export.withHeader(header.getKey(), header.getValue());
            }
            return options.withExport(export);
        }
    }

    @Command(name = "list", description = "Your samplers as a table.")
    static final class ListSamplers extends LakeshardCli.Base {
        @Override
        void run(LakeshardClient client) {
            List<List<String>> rows = new ArrayList<>();
            for (Sampler sampler : client.samplers()) {
                rows.add(List.of(sampler.dataset(), sampler.name(), count(sampler.decided()), count(sampler.kept()), count(sampler.rows()),
                        sampler.decidedThrough().map(Instant::toString).orElse("-"), exportStatus(sampler)));
            }
            TablePrinter.printTable(out(), client.allocator(), List.of("dataset", "name", "decided", "kept", "rows", "decided_through",
                    "export"), rows);
        }
    }

    @Command(name = "show", description = "A sampler's definition and counts, with the traces each policy kept.")
    static final class Show extends LakeshardCli.Base {
        @Mixin
        Target target;

        @Override
        void run(LakeshardClient client) {
            Sampler sampler = client.sampler(target.dataset, target.name);
            out().print(describe(sampler));
            out().printf(Locale.ROOT, "created %s; %,d ticks, decided through %s%n", sampler.createdAt(), sampler.ticks(),
                    sampler.decidedThrough().map(Instant::toString).orElse("-"));
            out().printf(Locale.ROOT, "%,d traces decided, %,d kept; %,d rows (%,d of late spans)%n", sampler.decided(), sampler.kept(),
                    sampler.rows(), sampler.lateRows());
            sampler.export().ifPresent(export -> out().printf(Locale.ROOT, "exported through %,d: %,d spans%n",
                    sampler.exportedThrough(), sampler.exportedSpans()));
            sampler.lastError().ifPresent(error -> out().println("last error: " + error));
            sampler.lastExportError().ifPresent(error -> out().println("last export error: " + error));
            List<List<String>> rows = new ArrayList<>();
            for (Sampler.Policy policy : sampler.policies()) {
                rows.add(List.of(String.valueOf(rows.size() + 1), policy.name(), count(sampler.keptByPolicy().getOrDefault(policy.name(), 0L))));
            }
            TablePrinter.printTable(out(), client.allocator(), List.of("#", "policy", "kept"), rows);
        }
    }

    @Command(name = "delete", description = "Delete a sampler: it decides and exports no more; its decisions dataset stays.")
    static final class Delete extends LakeshardCli.Base {
        @Mixin
        Target target;

        @Override
        void run(LakeshardClient client) {
            Sampler deleted = client.deleteSampler(target.dataset, target.name);
            out().printf(Locale.ROOT, "deleted sampler %s of %s: %,d traces decided, %,d kept; its decisions stay in %s%n", deleted.name(),
                    deleted.dataset(), deleted.decided(), deleted.kept(), deleted.decisionsDataset());
        }
    }

    @Command(name = "decisions", description = "A sampler's decisions in order, as a table of those made so far, or as they come "
            + "with --follow.")
    static final class Decisions extends LakeshardCli.Base {
        @Mixin
        Target target;

        @Option(names = "--after", defaultValue = "0", description = "only the decisions after this sequence (default: all)")
        long after;

        @Option(names = "--follow", description = "print decisions as they are made, until interrupted")
        boolean follow;

        @Override
        void run(LakeshardClient client) {
            try (DecisionStream decisions = client.decisions(target.dataset, target.name, after, follow)) {
                if (!follow) {
                    List<List<String>> rows = new ArrayList<>();
                    decisions.forEachRemaining(decision -> rows.add(row(decision)));
                    TablePrinter.printTable(out(), client.allocator(), DECISION_COLUMNS, rows);
                    return;
                }
                String line = "%-10s  %-32s  %-8s  %-40s  %-24s  %s%n";
                out().printf(Locale.ROOT, line, DECISION_COLUMNS.toArray());
                while (decisions.hasNext()) {
                    out().printf(Locale.ROOT, line, row(decisions.next()).toArray());
                    out().flush();
                }
            }
        }

        private static List<String> row(Decision decision) {
            return List.of(String.valueOf(decision.sequence()), decision.traceId(), decision.keep() ? "KEEP" : "DROP",
                    decision.policy().orElse(""), decision.decidedAt().toString(), String.valueOf(decision.lag().toMillis()));
        }
    }

    /**
     * {@code --policy} text as a policy; see {@link #POLICY_FORMS}. The thresholds take {@code =} as well as {@code >}
     * ({@code slow-span=2s}), which a shell does not take for a redirection when unquoted.
     */
    static SamplingPolicyOption policy(String text) {
        String option = "--policy '" + text + "'";
        if (text.equals("errors")) {
            return SamplingPolicyOption.keepErrors();
        }
        Optional<String> slowSpan = threshold(text, "slow-span");
        if (slowSpan.isPresent()) {
            return SamplingPolicyOption.keepSlowSpans(millis(Durations.parse(slowSpan.get(), option), option));
        }
        Optional<String> slowTrace = threshold(text, "slow-trace");
        if (slowTrace.isPresent()) {
            return SamplingPolicyOption.keepSlowTraces(millis(Durations.parse(slowTrace.get(), option), option));
        }
        Optional<String> spans = threshold(text, "spans");
        if (spans.isPresent()) {
            return SamplingPolicyOption.keepLargeTraces(number(spans.get(), option, "a span count", Long::parseLong));
        }
        if (text.startsWith("percent=")) {
            String percent = text.substring("percent=".length());
            return SamplingPolicyOption.keepPercentage(number(percent.endsWith("%") ? percent.substring(0, percent.length() - 1) : percent,
                    option, "a percentage", Double::parseDouble));
        }
        for (String scope : List.of("span:", "resource:")) {
            if (text.startsWith(scope)) {
                String pair = text.substring(scope.length());
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    throw new IllegalArgumentException(option + ": expected " + scope + "KEY=VALUE, an attribute key and its string value");
                }
                String key = pair.substring(0, equals);
                String value = pair.substring(equals + 1);
                return scope.equals("span:") ? SamplingPolicyOption.keepSpanAttribute(key, value)
                        : SamplingPolicyOption.keepResourceAttribute(key, value);
            }
        }
        throw new IllegalArgumentException(option + ": expected " + POLICY_FORMS);
    }

    /** What follows {@code kind>} or {@code kind=}; empty when the text is of another kind. */
    private static Optional<String> threshold(String text, String kind) {
        if (text.startsWith(kind + ">") || text.startsWith(kind + "=")) {
            return Optional.of(text.substring(kind.length() + 1));
        }
        return Optional.empty();
    }

    private static <T> T number(String text, String option, String what, Function<String, T> parse) {
        try {
            return parse.apply(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": expected " + what + ", got '" + text + "'", e);
        }
    }

    /** The API's durations are whole milliseconds. */
    private static Duration millis(Duration duration, String option) {
        if (duration.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException(option + ": expected whole milliseconds, got " + Durations.format(duration.toNanos()));
        }
        return duration;
    }

    /** The definition: what `create` and `show` print first. */
    private static String describe(Sampler sampler) {
        StringBuilder out = new StringBuilder();
        out.append("sampler ").append(sampler.name()).append(" of ").append(sampler.dataset()).append(": decisions in ")
                .append(sampler.decisionsDataset()).append('\n');
        out.append("finished after ").append(exact(sampler.inactivity())).append(" without spans, or ")
                .append(exact(sampler.maxTraceDuration())).append(" after its first\n");
        out.append("policies: ").append(String.join(", ", sampler.policies().stream().map(Sampler.Policy::name).toList())).append('\n');
        sampler.export().ifPresent(export -> out.append("export: OTLP/").append(export.protocol()).append(' ').append(export.endpoint())
                .append(export.headerNames().isEmpty() ? "" : " with headers " + String.join(", ", export.headerNames())).append('\n'));
        return out.toString();
    }

    private static String exportStatus(Sampler sampler) {
        if (sampler.export().isEmpty()) {
            return "-";
        }
        return sampler.lastExportError().map(error -> "failing: " + error).orElseGet(() -> String.format(Locale.ROOT,
                "through %,d (%,d spans)", sampler.exportedThrough(), sampler.exportedSpans()));
    }

    /** In the largest unit that holds it exactly: 5m, 90s, 1h, 250ms. */
    private static String exact(Duration duration) {
        long millis = duration.toMillis();
        long[] units = {3_600_000, 60_000, 1_000};
        String[] symbols = {"h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (millis != 0 && millis % units[i] == 0) {
                return millis / units[i] + symbols[i];
            }
        }
        return millis + "ms";
    }

    private static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
