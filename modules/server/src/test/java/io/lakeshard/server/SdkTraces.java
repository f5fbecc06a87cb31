package io.lakeshard.server;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.List;

/** Traces as an application instrumented with the OpenTelemetry Java SDK makes them. */
final class SdkTraces {
    private SdkTraces() {}

    /** A trace of several services: nested server and client spans, events, a link, an error, every attribute type. */
    static void make(Tracer tracer, int traces) {
        for (int t = 0; t < traces; t++) {
            Span root = tracer.spanBuilder("GET /cart/" + t).setSpanKind(SpanKind.SERVER)
                    .setAttribute("http.request.method", "GET")
                    .setAttribute("http.response.status_code", 200L)
                    .setAttribute("sampling.ratio", 0.5)
                    .setAttribute("cache.hit", t % 2 == 0)
                    .setAttribute(AttributeKey.stringArrayKey("feature.flags"), List.of("a", "b"))
                    .setAttribute(AttributeKey.longArrayKey("retry.counts"), List.of(1L, 2L))
                    .setAttribute(AttributeKey.doubleArrayKey("weights"), List.of(0.25, 0.75))
                    .setAttribute(AttributeKey.booleanArrayKey("checks"), List.of(true, false))
                    .startSpan();
            Context parent = Context.root().with(root);
            Span query = tracer.spanBuilder("SELECT cart").setParent(parent).setSpanKind(SpanKind.CLIENT)
                    .setAttribute("db.system", "postgresql").startSpan();
            query.addEvent("rows fetched", Attributes.of(AttributeKey.longKey("db.rows"), 12L));
            Span decode = tracer.spanBuilder("decode").setParent(parent.with(query)).startSpan();
            decode.end();
            query.end();
            Span charge = tracer.spanBuilder("charge").setParent(parent).setSpanKind(SpanKind.PRODUCER)
                    .addLink(query.getSpanContext(), Attributes.of(AttributeKey.stringKey("link.reason"), "after"))
                    .startSpan();
            if (t == 1) {
                charge.recordException(new IllegalStateException("card declined"));
                charge.setStatus(StatusCode.ERROR, "card declined");
            } else {
                charge.setStatus(StatusCode.OK);
            }
            charge.end();
            root.end();
        }
    }

    /** A provider for {@code service}'s spans, each handed to {@code recorder} as it ends. */
    static SdkTracerProvider provider(String service, SpanExporter recorder) {
        return SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.builder().put("service.name", service).put("host.cores", 2L).put("deployment.canary", false).build())))
                .addSpanProcessor(SimpleSpanProcessor.create(recorder))
                .build();
    }
}
