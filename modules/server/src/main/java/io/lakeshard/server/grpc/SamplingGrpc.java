package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.NotUsed;
import akka.grpc.javadsl.Metadata;
import akka.japi.Pair;
import akka.stream.javadsl.Source;
import io.lakeshard.api.v1.CreateSamplerRequest;
import io.lakeshard.api.v1.Decision;
import io.lakeshard.api.v1.DeleteSamplerRequest;
import io.lakeshard.api.v1.GetSamplerRequest;
import io.lakeshard.api.v1.ListSamplersRequest;
import io.lakeshard.api.v1.ListSamplersResponse;
import io.lakeshard.api.v1.Sampler;
import io.lakeshard.api.v1.SamplerExport;
import io.lakeshard.api.v1.SamplerPolicy;
import io.lakeshard.api.v1.SamplingServicePowerApi;
import io.lakeshard.api.v1.StreamDecisionsRequest;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.sampling.ExportTarget;
import io.lakeshard.service.sampling.SamplerEntity.Status;
import io.lakeshard.service.sampling.SamplerSpec;
import io.lakeshard.service.sampling.Samplers;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.sampling.DecisionRow;
import io.lakeshard.traces.sampling.SamplerDefinition;
import io.lakeshard.traces.sampling.SamplingPolicy;
import io.lakeshard.traces.sampling.SamplingPolicy.AttributeScope;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepAttribute;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepErrors;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepLargeTraces;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepPercentage;
import io.lakeshard.traces.sampling.SamplingPolicy.KeepSlow;
import io.lakeshard.traces.sampling.SamplingPolicy.SlowScope;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** SamplingService over gRPC. */
public final class SamplingGrpc implements SamplingServicePowerApi {
    /** Decisions read at a time when the request does not say. */
    static final int DEFAULT_PAGE_SIZE = 1_000;

    private final Samplers samplers;
    private final ApiKeys keys;

    public SamplingGrpc(Samplers samplers, ApiKeys keys) {
        this.samplers = requireNonNull(samplers, "samplers is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public CompletionStage<Sampler> createSampler(CreateSamplerRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            DatasetName spans = dataset(in.getDataset());
            SamplerDefinition definition = definition(in);
            Optional<ExportTarget> export = in.hasExport() ? Optional.of(export(in.getExport())) : Optional.empty();
            return samplers.create(principal, spans, definition, export).thenApply(SamplingGrpc::sampler);
        });
    }

    @Override
    public CompletionStage<Sampler> getSampler(GetSamplerRequest in, Metadata metadata) {
        return Errors.guarded(() -> samplers.get(Callers.principal(keys, metadata), dataset(in.getDataset()), in.getName())
                .thenApply(SamplingGrpc::sampler));
    }

    @Override
    public CompletionStage<ListSamplersResponse> listSamplers(ListSamplersRequest in, Metadata metadata) {
        return Errors.guarded(() -> samplers.list(Callers.principal(keys, metadata)).thenApply(list -> ListSamplersResponse.newBuilder()
                .addAllSamplers(list.stream().map(SamplingGrpc::sampler).toList()).build()));
    }

    @Override
    public CompletionStage<Sampler> deleteSampler(DeleteSamplerRequest in, Metadata metadata) {
        return Errors.guarded(() -> samplers.delete(Callers.principal(keys, metadata), dataset(in.getDataset()), in.getName())
                .thenApply(SamplingGrpc::sampler));
    }

    /**
     * The feed polled a page at a time as the stream is pulled: at once after a page with decisions, after the feed's
     * interval after an empty one. A cancelled stream is pulled no more, so at most the poll under way finishes.
     */
    @Override
    public Source<Decision, NotUsed> streamDecisions(StreamDecisionsRequest in, Metadata metadata) {
        Samplers.DecisionFeed feed;
        try {
            feed = samplers.decisions(Callers.principal(keys, metadata), dataset(in.getDataset()), in.getName(), in.getAfter(),
                    in.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : in.getPageSize());
        } catch (RuntimeException e) {
            return Source.failed(Errors.status(e));
        }
        boolean follow = in.getFollow();
        // The state: whether the last page was empty (caught up).
        return Source.unfoldAsync(false, (Boolean caughtUp) -> {
                    if (caughtUp && !follow) {
                        return CompletableFuture.completedFuture(Optional.<Pair<Boolean, List<DecisionRow>>>empty());
                    }
                    return (caughtUp ? feed.pollLater() : feed.poll()).thenApply(rows -> Optional.of(Pair.create(rows.isEmpty(), rows)));
                })
                .mapConcat(rows -> rows.stream().map(SamplingGrpc::decision).toList())
                .mapError(Throwable.class, Errors::status);
    }

    private static SamplerDefinition definition(CreateSamplerRequest in) {
        List<SamplingPolicy> policies = new ArrayList<>();
        for (int i = 0; i < in.getPoliciesCount(); i++) {
            policies.add(policy(in.getPolicies(i), "policies[" + i + "]"));
        }
        Duration inactivity = in.getInactivityMillis() == 0 ? SamplerDefinition.DEFAULT_INACTIVITY : Duration.ofMillis(in.getInactivityMillis());
        Duration maxDuration = in.getMaxTraceDurationMillis() == 0 ? SamplerDefinition.DEFAULT_MAX_TRACE_DURATION
                : Duration.ofMillis(in.getMaxTraceDurationMillis());
        try {
            return new SamplerDefinition(in.getName(), inactivity, maxDuration, policies);
        } catch (InvalidInputException e) {
            // The durations are the request's milliseconds.
            throw switch (e.field()) {
                case "inactivity" -> renamed(e, "inactivity_millis");
                case "max_trace_duration" -> renamed(e, "max_trace_duration_millis");
                default -> e;
            };
        }
    }

    /** @param field where it is in the request: {@code policies[1]} */
    private static SamplingPolicy policy(SamplerPolicy in, String field) {
        return switch (in.getPolicyCase()) {
            case ERRORS -> new KeepErrors();
            case SLOW -> {
                String slow = field + ".slow";
                SlowScope scope = switch (in.getSlow().getScope()) {
                    case SCOPE_TRACE -> SlowScope.TRACE;
                    case SCOPE_SPAN -> SlowScope.SPAN;
                    default -> throw new InvalidInputException(slow + ".scope", "expected SCOPE_TRACE or SCOPE_SPAN, got "
                            + in.getSlow().getScope());
                };
                long millis = in.getSlow().getThresholdMillis();
                if (millis < 0) {
                    throw new InvalidInputException(slow + ".threshold_millis", "expected 0 or more, got " + millis);
                }
                yield checked(slow + ".threshold_millis", () -> KeepSlow.of(Duration.ofMillis(millis), scope, ""));
            }
            case LARGE_TRACE -> checked(field + ".large_trace.span_count",
                    () -> KeepLargeTraces.of(in.getLargeTrace().getSpanCount(), ""));
            case ATTRIBUTE -> {
                String attribute = field + ".attribute";
                AttributeScope scope = switch (in.getAttribute().getScope()) {
                    case SCOPE_SPAN -> AttributeScope.SPAN;
                    case SCOPE_RESOURCE -> AttributeScope.RESOURCE;
                    default -> throw new InvalidInputException(attribute + ".scope", "expected SCOPE_SPAN or SCOPE_RESOURCE, got "
                            + in.getAttribute().getScope());
                };
                yield KeepAttribute.of(scope, in.getAttribute().getKey(), in.getAttribute().getValue(), attribute);
            }
            case PERCENTAGE -> KeepPercentage.of(in.getPercentage().getPercent(), field + ".percentage");
            case POLICY_NOT_SET -> throw new InvalidInputException(field,
                    "expected one of errors, slow, large_trace, attribute or percentage; got none");
        };
    }

    /** A policy whose one checked component is {@code field} of the request, named so in its error. */
    private static SamplingPolicy checked(String field, Supplier<SamplingPolicy> policy) {
        try {
            return policy.get();
        } catch (InvalidInputException e) {
            throw renamed(e, field);
        }
    }

    private static ExportTarget export(SamplerExport in) {
        ExportTarget.Protocol protocol = switch (in.getProtocol()) {
            case PROTOCOL_HTTP -> ExportTarget.Protocol.HTTP;
            case PROTOCOL_GRPC -> ExportTarget.Protocol.GRPC;
            default -> throw new InvalidInputException("export.protocol", "expected PROTOCOL_HTTP or PROTOCOL_GRPC, got " + in.getProtocol());
        };
        URI endpoint;
        try {
            endpoint = new URI(in.getEndpoint());
        } catch (URISyntaxException e) {
            throw new InvalidInputException("export.endpoint", "expected an http:// or https:// URL, got '" + in.getEndpoint() + "': "
                    + e.getReason());
        }
        return new ExportTarget(protocol, endpoint, in.getHeadersMap());
    }

    /** An empty name is the default trace dataset; a malformed one is named as the request's {@code dataset}. */
    private static DatasetName dataset(String name) {
        if (name.isEmpty()) {
            return SpanSchema.DEFAULT_DATASET;
        }
        try {
            return DatasetName.parse(name);
        } catch (InvalidInputException e) {
            // DatasetName names its parts under "name": "name.table: ...".
            throw renamed(e, "dataset" + e.field().substring(Math.min(e.field().length(), "name".length())));
        }
    }

    /** The same error, naming {@code field} instead. */
    private static InvalidInputException renamed(InvalidInputException e, String field) {
        return new InvalidInputException(field, e.getMessage().substring(e.field().length() + 2));
    }

    private static Sampler sampler(Status status) {
        SamplerSpec spec = status.spec();
        SamplerDefinition definition = spec.definition();
        Sampler.Builder out = Sampler.newBuilder().setDataset(spec.spans().toString()).setName(definition.name())
                .setInactivityMillis(definition.inactivity().toMillis()).setMaxTraceDurationMillis(definition.maxTraceDuration().toMillis())
                .setDecisionsDataset(spec.decisions().toString()).setCreatedAtMillis(millis(status.createdAt())).setTicks(status.ticks())
                .setDecidedThroughMillis(millis(status.decidedThrough())).setRows(status.rows()).setDecided(status.decided())
                .setKept(status.kept()).setLateRows(status.lateRows()).putAllKeptByPolicy(status.keptByPolicy())
                .setExportedThrough(status.exportedThrough()).setExportedSpans(status.exportedSpans())
                .setLastError(status.lastError() == null ? "" : status.lastError())
                .setLastExportError(status.lastExportError() == null ? "" : status.lastExportError());
        definition.policies().forEach(policy -> out.addPolicies(policy(policy)));
        spec.exportTarget().ifPresent(export -> out.setExport(SamplerExport.newBuilder()
                .setProtocol(export.protocol() == ExportTarget.Protocol.HTTP ? SamplerExport.Protocol.PROTOCOL_HTTP
                        : SamplerExport.Protocol.PROTOCOL_GRPC)
                .setEndpoint(withoutUserInfo(export.endpoint()).toString())
                .addAllHeaderNames(export.headers().keySet().stream().sorted().toList())));
        return out.build();
    }

    private static SamplerPolicy policy(SamplingPolicy policy) {
        SamplerPolicy.Builder out = SamplerPolicy.newBuilder().setName(policy.name());
        if (policy instanceof KeepErrors) {
            out.setErrors(SamplerPolicy.Errors.getDefaultInstance());
        } else if (policy instanceof KeepSlow slow) {
            out.setSlow(SamplerPolicy.Slow.newBuilder().setThresholdMillis(slow.threshold().toMillis())
                    .setScope(slow.scope() == SlowScope.TRACE ? SamplerPolicy.Slow.Scope.SCOPE_TRACE : SamplerPolicy.Slow.Scope.SCOPE_SPAN));
        } else if (policy instanceof KeepLargeTraces large) {
            out.setLargeTrace(SamplerPolicy.LargeTrace.newBuilder().setSpanCount(large.threshold()));
        } else if (policy instanceof KeepAttribute attribute) {
            out.setAttribute(SamplerPolicy.Attribute.newBuilder().setKey(attribute.key()).setValue(attribute.value())
                    .setScope(attribute.scope() == AttributeScope.SPAN ? SamplerPolicy.Attribute.Scope.SCOPE_SPAN
                            : SamplerPolicy.Attribute.Scope.SCOPE_RESOURCE));
        } else if (policy instanceof KeepPercentage percentage) {
            out.setPercentage(SamplerPolicy.Percentage.newBuilder().setPercent(percentage.percent()));
        }
        return out.build();
    }

    /** An endpoint's user and password, if it has them, are as secret as the headers. */
    private static URI withoutUserInfo(URI endpoint) {
        if (endpoint.getRawUserInfo() == null) {
            return endpoint;
        }
        try {
            return new URI(endpoint.getScheme(), null, endpoint.getHost(), endpoint.getPort(), endpoint.getPath(), endpoint.getQuery(),
                    endpoint.getFragment());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("a URI without its user info is a URI: " + endpoint, e);
        }
    }

    private static Decision decision(DecisionRow row) {
        return Decision.newBuilder().setSequence(row.sequence()).setTraceId(row.traceId().hex()).setKeep(row.keep())
                .setPolicy(row.policy().orElse("")).setDecidedAtMillis(row.decidedAt().toEpochMilli())
                .setReadyAtMillis(row.readyAt().toEpochMilli()).setSpanCount(row.spanCount()).setTick(row.tick()).build();
    }

    private static long millis(Instant at) {
        return at == null ? 0 : at.toEpochMilli();
    }
}
