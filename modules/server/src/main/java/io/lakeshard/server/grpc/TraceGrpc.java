package io.lakeshard.server.grpc;

import static java.util.Objects.requireNonNull;

import akka.NotUsed;
import akka.grpc.javadsl.Metadata;
import akka.japi.Pair;
import akka.stream.javadsl.Source;
import io.lakeshard.api.v1.GetRedMetricsRequest;
import io.lakeshard.api.v1.GetRedMetricsResponse;
import io.lakeshard.api.v1.GetTraceRequest;
import io.lakeshard.api.v1.GetTraceResponse;
import io.lakeshard.api.v1.ListServicesRequest;
import io.lakeshard.api.v1.ListServicesResponse;
import io.lakeshard.api.v1.Operation;
import io.lakeshard.api.v1.ReadSpansRequest;
import io.lakeshard.api.v1.ReadSpansResponse;
import io.lakeshard.api.v1.RedPoint;
import io.lakeshard.api.v1.SearchTracesRequest;
import io.lakeshard.api.v1.SearchTracesResponse;
import io.lakeshard.api.v1.ServiceOperations;
import io.lakeshard.api.v1.SpanNode;
import io.lakeshard.api.v1.TraceQueryServicePowerApi;
import io.lakeshard.api.v1.TraceSummary;
import io.lakeshard.query.Consistency;
import io.lakeshard.service.auth.ApiKeys;
import io.lakeshard.service.traces.ReadOptions;
import io.lakeshard.service.traces.SpanPages;
import io.lakeshard.service.traces.Traces;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.InvalidInputException;
import io.lakeshard.traces.SpanSchema;
import io.lakeshard.traces.query.AttributeFilter;
import io.lakeshard.traces.query.AttributeRange;
import io.lakeshard.traces.query.AttributeValue;
import io.lakeshard.traces.query.RedQuery;
import io.lakeshard.traces.query.SpanRead;
import io.lakeshard.traces.query.TimeRange;
import io.lakeshard.traces.query.Trace;
import io.lakeshard.traces.query.TraceFilter;
import io.lakeshard.traces.query.TraceId;
import io.lakeshard.traces.query.TraceLookup;
import io.lakeshard.traces.query.TraceSearch;
import io.lakeshard.traces.query.TraceSpan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

/**
 * TraceQueryService over gRPC: trace by id, search, services, RED metrics and span reads. The messages that share a name with the
 * traces module's types (time ranges, attribute filters) are written qualified.
 */
public final class TraceGrpc implements TraceQueryServicePowerApi {
    private final Traces traces;
    private final ApiKeys keys;

    public TraceGrpc(Traces traces, ApiKeys keys) {
        this.traces = requireNonNull(traces, "traces is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public CompletionStage<GetTraceResponse> getTrace(GetTraceRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            TraceLookup lookup = new TraceLookup(dataset(in.getDataset()), TraceId.parse(in.getTraceId(), "trace_id"),
                    in.hasTimeHint() ? Optional.of(range(in.getTimeHint(), "time_hint")) : Optional.empty(),
                    in.getMaxSpans() == 0 ? TraceLookup.DEFAULT_MAX_SPANS : in.getMaxSpans(), in.getIncludeOtlp());
            return traces.trace(principal, lookup, options(in.getConsistency(), metadata)).thenApply(TraceGrpc::toProto);
        });
    }

    @Override
    public CompletionStage<SearchTracesResponse> searchTraces(SearchTracesRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            List<AttributeFilter> attributes = new ArrayList<>();
            in.getSpanAttributesList().forEach(filter -> attributes.add(attribute(AttributeFilter.Scope.SPAN, filter)));
            in.getResourceAttributesList().forEach(filter -> attributes.add(attribute(AttributeFilter.Scope.RESOURCE, filter)));
            List<AttributeRange> ranges = in.getAttributeRangesList().stream().map(range -> new AttributeRange(range.getKey(),
                    range.hasMin() ? OptionalDouble.of(range.getMin()) : OptionalDouble.empty(),
                    range.hasMax() ? OptionalDouble.of(range.getMax()) : OptionalDouble.empty())).toList();
            TraceFilter filter = new TraceFilter(optional(in.getServiceName()), optional(in.getSpanName()), in.getErrorsOnly(),
                    positive(in.getMinDurationNs()), positive(in.getMaxDurationNs()), attributes, ranges);
            TraceSearch search = new TraceSearch(dataset(in.getDataset()),
                    in.hasTimeRange() ? Optional.of(range(in.getTimeRange(), "time_range")) : Optional.empty(), filter,
                    in.getLimit() == 0 ? TraceSearch.DEFAULT_LIMIT : in.getLimit(), optional(in.getPageCursor()));
            return traces.search(principal, search, options(in.getConsistency(), metadata)).thenApply(page -> {
                SearchTracesResponse.Builder out = SearchTracesResponse.newBuilder().setTimeRange(toProto(page.range()))
                        .setNextCursor(page.nextCursor().orElse(""));
                page.traces().forEach(trace -> out.addTraces(TraceSummary.newBuilder()
                        .setTraceId(trace.traceId().hex())
                        .setRootServiceName(trace.rootServiceName())
                        .setRootSpanName(trace.rootSpanName())
                        .setRootMissing(trace.rootMissing())
                        .setStartTimeUnixNano(trace.startTimeUnixNano())
                        .setDurationNs(trace.durationNanos())
                        .setSpanCount(trace.spanCount())
                        .setErrorCount(trace.errorCount())
                        .addAllServiceNames(trace.serviceNames())));
                return out.build();
            });
        });
    }

    @Override
    public CompletionStage<ListServicesResponse> listServices(ListServicesRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            return traces.services(principal, dataset(in.getDataset()),
                    in.hasTimeRange() ? Optional.of(range(in.getTimeRange(), "time_range")) : Optional.empty(),
                    options(in.getConsistency(), metadata)).thenApply(list -> {
                        ListServicesResponse.Builder out = ListServicesResponse.newBuilder().setTimeRange(toProto(list.range()));
                        list.services().forEach(service -> out.addServices(ServiceOperations.newBuilder()
                                .setServiceName(service.serviceName()).setSpanCount(service.spanCount())
                                .addAllOperations(service.operations().stream().map(operation -> Operation.newBuilder()
                                        .setSpanName(operation.spanName()).setSpanCount(operation.spanCount()).build()).toList())));
                        return out.build();
                    });
        });
    }

    @Override
    public CompletionStage<GetRedMetricsResponse> getRedMetrics(GetRedMetricsRequest in, Metadata metadata) {
        return Errors.guarded(() -> {
            var principal = Callers.principal(keys, metadata);
            if (in.getBucketSeconds() < 0) {
                throw new InvalidInputException("bucket_seconds", "must not be negative");
            }
            RedQuery query = new RedQuery(dataset(in.getDataset()),
                    in.hasTimeRange() ? Optional.of(range(in.getTimeRange(), "time_range")) : Optional.empty(),
                    in.getBucketSeconds() == 0 ? RedQuery.DEFAULT_BUCKET : Duration.ofSeconds(in.getBucketSeconds()),
                    optional(in.getServiceName()), in.getBySpanName());
            return traces.redMetrics(principal, query, options(in.getConsistency(), metadata)).thenApply(metrics -> {
                GetRedMetricsResponse.Builder out = GetRedMetricsResponse.newBuilder()
                        .setBucketSeconds(metrics.bucket().toSeconds()).setTimeRange(toProto(metrics.range()));
                metrics.points().forEach(point -> out.addPoints(RedPoint.newBuilder()
                        .setServiceName(point.serviceName())
                        .setSpanName(point.spanName().orElse(""))
                        .setBucketStartUnixNano(point.bucketStartUnixNano())
                        .setRequests(point.requests())
                        .setRatePerSecond(point.ratePerSecond())
                        .setErrors(point.errors())
                        .setErrorRate(point.errorRate())
                        .setP50Ns(point.p50Nanos())
                        .setP95Ns(point.p95Nanos())
                        .setP99Ns(point.p99Nanos())));
                return out.build();
            });
        });
    }

    @Override
    public Source<ReadSpansResponse, NotUsed> readSpans(ReadSpansRequest in, Metadata metadata) {
        SpanPages pages;
        try {
            var principal = Callers.principal(keys, metadata);
            if (!in.hasTimeRange()) {
                throw new InvalidInputException("time_range", "is required: the spans that start in [start_unix_nano, end_unix_nano)");
            }
            List<TraceId> traceIds = new ArrayList<>();
            for (int i = 0; i < in.getTraceIdsCount(); i++) {
                traceIds.add(TraceId.parse(in.getTraceIds(i), "trace_ids[" + i + "]"));
            }
            SpanRead read = new SpanRead(dataset(in.getDataset()), range(in.getTimeRange(), "time_range"), in.getServiceNamesList(),
                    traceIds, in.getPageSpans() == 0 ? SpanRead.DEFAULT_PAGE_SPANS : in.getPageSpans());
            pages = traces.readSpans(principal, read, options(in.getConsistency(), metadata));
        } catch (RuntimeException e) {
            return Source.failed(Errors.status(e));
        }
        // A page is read when the stream is pulled that far: the caller's pace sets the queries'.
        return Source.unfoldAsync(pages, reader -> reader.next().thenApply(page -> page.map(next -> Pair.create(reader,
                        ReadSpansResponse.newBuilder().setOtlp(next.spans()).setSpansSoFar(next.spansSoFar()).build()))))
                .mapError(Throwable.class, Errors::status);
    }

    /** The response, and the trace's rows freed once encoded. */
    private static GetTraceResponse toProto(Trace trace) {
        try (trace) {
            GetTraceResponse.Builder out = GetTraceResponse.newBuilder().setTraceId(trace.traceId().hex())
                    .setArrowIpc(ArrowIpc.batch(trace.rows())).setTruncated(trace.truncated());
            trace.otlp().ifPresent(out::setOtlp);
            trace.spans().forEach(node -> {
                TraceSpan span = node.span();
                out.addSpans(SpanNode.newBuilder()
                        .setSpanId(span.spanId())
                        .setParentSpanId(span.parentSpanId().orElse(""))
                        .setDepth(node.depth())
                        .setOrder(node.order())
                        .setRoot(node.root())
                        .setOrphan(node.orphan())
                        .setServiceName(span.serviceName())
                        .setName(span.name())
                        .setStartTimeUnixNano(span.startTimeUnixNano())
                        .setDurationNs(span.durationNanos())
                        .setStatusCode(span.statusCode()));
            });
            return out.build();
        }
    }

    private static AttributeFilter attribute(AttributeFilter.Scope scope, io.lakeshard.api.v1.AttributeFilter filter) {
        io.lakeshard.api.v1.AttributeValue value = filter.getValue();
        return new AttributeFilter(scope, filter.getKey(), switch (value.getValueCase()) {
            case STRING_VALUE -> new AttributeValue.StringValue(value.getStringValue());
            case INT_VALUE -> new AttributeValue.IntValue(value.getIntValue());
            case DOUBLE_VALUE -> new AttributeValue.DoubleValue(value.getDoubleValue());
            case BOOL_VALUE -> new AttributeValue.BoolValue(value.getBoolValue());
            case VALUE_NOT_SET -> throw new InvalidInputException(scope.field() + ".value", "'" + filter.getKey() + "' has no value");
        });
    }

    private static DatasetName dataset(String name) {
        return name.isEmpty() ? SpanSchema.DEFAULT_DATASET : DatasetName.parse(name);
    }

    private static TimeRange range(io.lakeshard.api.v1.TimeRange range, String field) {
        return TimeRange.of(range.getStartUnixNano(), range.getEndUnixNano(), field);
    }

    private static io.lakeshard.api.v1.TimeRange toProto(TimeRange range) {
        return io.lakeshard.api.v1.TimeRange.newBuilder().setStartUnixNano(range.startUnixNano()).setEndUnixNano(range.endUnixNano()).build();
    }

    private static ReadOptions options(io.lakeshard.api.v1.Consistency consistency, Metadata metadata) {
        return new ReadOptions(consistency == io.lakeshard.api.v1.Consistency.CONSISTENCY_READ_YOUR_WRITES
                ? Consistency.READ_YOUR_WRITES : Consistency.LATEST_LOCAL, Callers.deadline(metadata));
    }

    private static OptionalLong positive(long value) {
        return value == 0 ? OptionalLong.empty() : OptionalLong.of(value);
    }

    private static Optional<String> optional(String value) {
        return value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
