// Exports a few traces to Lakeshard with the OpenTelemetry JS SDK, as a Node.js service would, then prints what it
// exported (one JSON object per span) for the Java test to compare with what Lakeshard gives back.
// Env: LAKESHARD_OTLP_URL (http://host:port/v1/traces), LAKESHARD_API_KEY, OTLP_ENCODING (json | protobuf).
import { context, trace, SpanKind, SpanStatusCode, ROOT_CONTEXT } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';

const url = process.env.LAKESHARD_OTLP_URL;
const headers = { authorization: `Bearer ${process.env.LAKESHARD_API_KEY}` };
const Exporter = process.env.OTLP_ENCODING === 'protobuf' ? ProtobufExporter : JsonExporter;
const otlp = new Exporter({ url, headers });

// Every export's result, so that a failed export fails the test instead of vanishing into the SDK's log.
const results = [];
const recording = {
  export(spans, done) {
    otlp.export(spans, (result) => {
      results.push(result);
      done(result);
    });
  },
  shutdown: () => otlp.shutdown(),
  forceFlush: () => otlp.forceFlush(),
};
const memory = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'js-checkout',
    'service.version': '1.4.2',
    'host.cores': 2,
    'deployment.canary': false,
  }),
  spanProcessors: [new SimpleSpanProcessor(recording), new SimpleSpanProcessor(memory)],
});
const tracer = provider.getTracer('lakeshard-js-test', '0.0.1');

for (let i = 0; i < 3; i++) {
  const root = tracer.startSpan(`POST /checkout/${i}`, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200, 'sampling.ratio': 0.25,
      'feature.flags': ['a', 'b'], 'retry.counts': [1, 2, 3], 'cache.hit': true },
  });
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  const child = tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }, parent);
  child.addEvent('rows fetched', { 'db.rows': 42 });
  const grandchild = tracer.startSpan('decode rows', {}, trace.setSpan(parent, child));
  grandchild.end();
  child.end();
  const payment = tracer.startSpan('charge card', { kind: SpanKind.CLIENT, links: [{ context: child.spanContext(),
    attributes: { 'link.reason': 'retry-of' } }] }, parent);
  if (i === 1) {
    payment.recordException(new Error('card declined'));
    payment.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  }
  payment.end();
  root.end();
}
await provider.forceFlush();
// Read before shutdown, which empties the in-memory exporter.
const finished = memory.getFinishedSpans();
await provider.shutdown();

const failed = results.filter((result) => result.code !== 0);
if (failed.length > 0 || results.length === 0) {
  console.error(`exports failed: ${JSON.stringify(failed.map((r) => String(r.error)))} of ${results.length}`);
  process.exit(1);
}
const nanos = (time) => (BigInt(time[0]) * 1000000000n + BigInt(time[1])).toString();
for (const span of finished) {
  console.log(JSON.stringify({
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext ? span.parentSpanContext.spanId : '',
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    statusCode: span.status.code,
    statusMessage: span.status.message || '',
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, timeUnixNano: nanos(event.time), attributes: event.attributes || {} })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId, attributes: link.attributes || {} })),
    resource: span.resource.attributes,
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version || '' },
  }));
}
