package io.lakeshard.client;

import io.lakeshard.api.v1.CreateSamplerRequest;
import io.lakeshard.api.v1.SamplerExport;
import io.lakeshard.api.v1.SamplerPolicy;
import io.lakeshard.client.sampling.Decision;
import io.lakeshard.client.sampling.ExportOption;
import io.lakeshard.client.sampling.Sampler;
import io.lakeshard.client.sampling.SamplerOptions;
import io.lakeshard.client.sampling.SamplingPolicyOption;
import io.lakeshard.client.sampling.SamplingPolicyOption.AttributeScope;
import io.lakeshard.client.sampling.SamplingPolicyOption.KeepAttribute;
import io.lakeshard.client.sampling.SamplingPolicyOption.KeepErrors;
import io.lakeshard.client.sampling.SamplingPolicyOption.KeepLargeTraces;
import io.lakeshard.client.sampling.SamplingPolicyOption.KeepPercentage;
import io.lakeshard.client.sampling.SamplingPolicyOption.KeepSlow;
import io.lakeshard.client.sampling.SamplingPolicyOption.SlowScope;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** The sampling API's messages to and from the SDK's types. */
final class SamplingMessages {
    private SamplingMessages() {}

    static CreateSamplerRequest request(SamplerOptions options) {
        CreateSamplerRequest.Builder out = CreateSamplerRequest.newBuilder().setDataset(options.dataset()).setName(options.name())
                .setInactivityMillis(options.inactivity().toMillis()).setMaxTraceDurationMillis(options.maxTraceDuration().toMillis());
        options.policies().forEach(policy -> out.addPolicies(policy(policy)));
        options.export().ifPresent(export -> out.setExport(SamplerExport.newBuilder()
                .setProtocol(export.protocol() == ExportOption.Protocol.HTTP ? SamplerExport.Protocol.PROTOCOL_HTTP
                        : SamplerExport.Protocol.PROTOCOL_GRPC)
                .setEndpoint(export.endpoint()).putAllHeaders(export.headers())));
        return out.build();
    }

    private static SamplerPolicy policy(SamplingPolicyOption policy) {
        SamplerPolicy.Builder out = SamplerPolicy.newBuilder();
        if (policy instanceof KeepErrors) {
            out.setErrors(SamplerPolicy.Errors.getDefaultInstance());
        } else if (policy instanceof KeepSlow slow) {
            out.setSlow(SamplerPolicy.Slow.newBuilder().setThresholdMillis(slow.threshold().toMillis())
                    .setScope(slow.scope() == SlowScope.TRACE ? SamplerPolicy.Slow.Scope.SCOPE_TRACE : SamplerPolicy.Slow.Scope.SCOPE_SPAN));
        } else if (policy instanceof KeepLargeTraces large) {
            out.setLargeTrace(SamplerPolicy.LargeTrace.newBuilder().setSpanCount(large.spanCount()));
        } else if (policy instanceof KeepAttribute attribute) {
            out.setAttribute(SamplerPolicy.Attribute.newBuilder().setKey(attribute.key()).setValue(attribute.value())
                    .setScope(attribute.scope() == AttributeScope.SPAN ? SamplerPolicy.Attribute.Scope.SCOPE_SPAN
                            : SamplerPolicy.Attribute.Scope.SCOPE_RESOURCE));
        } else if (policy instanceof KeepPercentage percentage) {
            out.setPercentage(SamplerPolicy.Percentage.newBuilder().setPercent(percentage.percent()));
        }
        return out.build();
    }

    static Sampler sampler(io.lakeshard.api.v1.Sampler in) {
        Optional<Sampler.Export> export = in.hasExport() ? Optional.of(new Sampler.Export(
                in.getExport().getProtocol() == SamplerExport.Protocol.PROTOCOL_HTTP ? ExportOption.Protocol.HTTP : ExportOption.Protocol.GRPC,
                in.getExport().getEndpoint(), in.getExport().getHeaderNamesList())) : Optional.empty();
        return new Sampler(in.getDataset(), in.getName(), Duration.ofMillis(in.getInactivityMillis()),
                Duration.ofMillis(in.getMaxTraceDurationMillis()),
                in.getPoliciesList().stream().map(policy -> new Sampler.Policy(policy.getName(), policy(policy))).toList(), export,
                in.getDecisionsDataset(), Instant.ofEpochMilli(in.getCreatedAtMillis()), in.getTicks(),
                in.getDecidedThroughMillis() == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(in.getDecidedThroughMillis())),
                in.getRows(), in.getDecided(), in.getKept(), in.getLateRows(), in.getKeptByPolicyMap(), in.getExportedThrough(),
                in.getExportedSpans(), text(in.getLastError()), text(in.getLastExportError()));
    }

    private static SamplingPolicyOption policy(SamplerPolicy in) {
        return switch (in.getPolicyCase()) {
            case ERRORS -> new KeepErrors();
            case SLOW -> new KeepSlow(Duration.ofMillis(in.getSlow().getThresholdMillis()),
                    in.getSlow().getScope() == SamplerPolicy.Slow.Scope.SCOPE_TRACE ? SlowScope.TRACE : SlowScope.SPAN);
            case LARGE_TRACE -> new KeepLargeTraces(in.getLargeTrace().getSpanCount());
            case ATTRIBUTE -> new KeepAttribute(in.getAttribute().getScope() == SamplerPolicy.Attribute.Scope.SCOPE_SPAN
                    ? AttributeScope.SPAN : AttributeScope.RESOURCE, in.getAttribute().getKey(), in.getAttribute().getValue());
            case PERCENTAGE -> new KeepPercentage(in.getPercentage().getPercent());
            case POLICY_NOT_SET -> throw new IllegalStateException("the server answered a policy of no kind: " + in);
        };
    }

    static Decision decision(io.lakeshard.api.v1.Decision in) {
        return new Decision(in.getSequence(), in.getTraceId(), in.getKeep(), text(in.getPolicy()), Instant.ofEpochMilli(in.getDecidedAtMillis()),
                Instant.ofEpochMilli(in.getReadyAtMillis()), in.getSpanCount(), in.getTick());
    }

    private static Optional<String> text(String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
