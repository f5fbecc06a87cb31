package io.lakeshard.traces;

import io.lakeshard.storage.dataset.DatasetDefinition;
import io.lakeshard.storage.dataset.DatasetName;
import io.lakeshard.storage.dataset.WriterOptions;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The columns of a trace dataset: one row per span, every field of OTLP's data model kept, so that OTLP in is OTLP
 * out. Resource and scope are repeated on each of their spans (dictionary encoding makes that cheap) so that a span
 * row stands alone. Attribute values keep their OTLP type: a map from key to a struct with one field per type, of
 * which exactly one is set; arrays and key-value lists are kept as their protobuf bytes (they nest without bound).
 *
 * <p>OTLP's unsigned 32-bit fields (flags, dropped counts) are int64 so that every value fits. Times are the exact
 * nanoseconds ({@code start_time_unix_nano}, {@code duration_ns}); {@code start_time} is the same instant to the
 * microsecond, which Delta's timestamp holds, for the day partition, pruning and time filters.
 */
public final class SpanSchema {
    public static final String TRACE_ID = "trace_id";
    public static final String SPAN_ID = "span_id";
    public static final String PARENT_SPAN_ID = "parent_span_id";
    public static final String TRACE_STATE = "trace_state";
    public static final String FLAGS = "flags";
    public static final String NAME = "name";
    public static final String KIND = "kind";
    public static final String START_TIME = "start_time";
    public static final String START_TIME_UNIX_NANO = "start_time_unix_nano";
    public static final String DURATION_NS = "duration_ns";
    public static final String STATUS_CODE = "status_code";
    public static final String STATUS_MESSAGE = "status_message";
    public static final String SERVICE_NAME = "service_name";
    public static final String RESOURCE_ATTRIBUTES = "resource_attributes";
    public static final String RESOURCE_DROPPED_ATTRIBUTES_COUNT = "resource_dropped_attributes_count";
    public static final String RESOURCE_SCHEMA_URL = "resource_schema_url";
    public static final String SCOPE_NAME = "scope_name";
    public static final String SCOPE_VERSION = "scope_version";
    public static final String SCOPE_ATTRIBUTES = "scope_attributes";
    public static final String SCOPE_DROPPED_ATTRIBUTES_COUNT = "scope_dropped_attributes_count";
    public static final String SCOPE_SCHEMA_URL = "scope_schema_url";
    public static final String ATTRIBUTES = "attributes";
    public static final String DROPPED_ATTRIBUTES_COUNT = "dropped_attributes_count";
    public static final String EVENTS = "events";
    public static final String DROPPED_EVENTS_COUNT = "dropped_events_count";
    public static final String LINKS = "links";
    public static final String DROPPED_LINKS_COUNT = "dropped_links_count";

    /** The fields of an attribute value: exactly one is set (none for an empty OTLP {@code AnyValue}). */
    public static final String STRING_VALUE = "string_value";
    public static final String BOOL_VALUE = "bool_value";
    public static final String INT_VALUE = "int_value";
    public static final String DOUBLE_VALUE = "double_value";
    public static final String BYTES_VALUE = "bytes_value";
    /** The serialized {@code ArrayValue}. */
    public static final String ARRAY_VALUE = "array_value";
    /** The serialized {@code KeyValueList}. */
    public static final String KVLIST_VALUE = "kvlist_value";

    /** Event and link fields. */
    public static final String TIME_UNIX_NANO = "time_unix_nano";

    /** The dataset a tenant's exports go to unless a request names another. */
    public static final DatasetName DEFAULT_DATASET = DatasetName.parse("otel.traces.spans");

    /** Spans keep the service's name in the resource too; this is what a resource without one is filed under. */
    public static final String UNKNOWN_SERVICE = "unknown_service";

    private static final ArrowType TRACE_ID_TYPE = new ArrowType.FixedSizeBinary(16);
    private static final ArrowType SPAN_ID_TYPE = new ArrowType.FixedSizeBinary(8);
    private static final ArrowType INT32 = new ArrowType.Int(32, true);
    private static final ArrowType INT64 = new ArrowType.Int(64, true);
    private static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE;

    public static final Schema SCHEMA = new Schema(List.of(
            required(TRACE_ID, TRACE_ID_TYPE),
            required(SPAN_ID, SPAN_ID_TYPE),
            optional(PARENT_SPAN_ID, SPAN_ID_TYPE),
            optional(TRACE_STATE, UTF8),
            required(FLAGS, INT64),
            required(NAME, UTF8),
            required(KIND, INT32),
            required(START_TIME, new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            required(START_TIME_UNIX_NANO, INT64),
            required(DURATION_NS, INT64),
            required(STATUS_CODE, INT32),
            optional(STATUS_MESSAGE, UTF8),
            required(SERVICE_NAME, UTF8),
            attributes(RESOURCE_ATTRIBUTES),
            required(RESOURCE_DROPPED_ATTRIBUTES_COUNT, INT64),
            optional(RESOURCE_SCHEMA_URL, UTF8),
            optional(SCOPE_NAME, UTF8),
            optional(SCOPE_VERSION, UTF8),
            attributes(SCOPE_ATTRIBUTES),
            required(SCOPE_DROPPED_ATTRIBUTES_COUNT, INT64),
            optional(SCOPE_SCHEMA_URL, UTF8),
            attributes(ATTRIBUTES),
            required(DROPPED_ATTRIBUTES_COUNT, INT64),
            list(EVENTS, struct("event",
                    required(TIME_UNIX_NANO, INT64),
                    optional(NAME, UTF8),
                    attributes(ATTRIBUTES),
                    required(DROPPED_ATTRIBUTES_COUNT, INT64))),
            required(DROPPED_EVENTS_COUNT, INT64),
            list(LINKS, struct("link",
                    required(TRACE_ID, TRACE_ID_TYPE),
                    required(SPAN_ID, SPAN_ID_TYPE),
                    optional(TRACE_STATE, UTF8),
                    attributes(ATTRIBUTES),
                    required(DROPPED_ATTRIBUTES_COUNT, INT64),
                    required(FLAGS, INT64))),
            required(DROPPED_LINKS_COUNT, INT64)));

    private SpanSchema() {}

    /**
     * A trace dataset: days by start time, a bloom filter on the trace id (trace by id reads only the files that may
     * hold it), and optimize sorts by start time, keeping one copy of a span an exporter sent twice. Sorted by time, a
     * trace's spans (which start within its duration) sit in one row group, so a trace by id decodes one row group
     * where the earlier z-order by service and time spread a trace over one per service it crossed; time ranges
     * prune row groups exactly (docs/benchmarks.md, traces).
     */
    public static DatasetDefinition definition() {
        return DatasetDefinition.of(SCHEMA, List.of())
                .withEventTimeColumn(START_TIME)
                .withWriterOptions(WriterOptions.defaults()
                        .withBloomFilterColumns(List.of(TRACE_ID))
                        .withUniqueKeyColumns(List.of(TRACE_ID, SPAN_ID))
                        .withSortColumns(List.of(START_TIME)));
    }

    /** Whether a dataset's user columns are a trace dataset's (columns added later are allowed after them). */
    public static boolean isSpanTable(Schema userSchema) {
        List<Field> fields = userSchema.getFields();
        if (fields.size() < SCHEMA.getFields().size()) {
            return false;
        }
        for (int i = 0; i < SCHEMA.getFields().size(); i++) {
            Field expected = SCHEMA.getFields().get(i);
            Field actual = fields.get(i);
            if (!expected.getName().equals(actual.getName()) || !expected.getType().equals(actual.getType())) {
                return false;
            }
        }
        return true;
    }

    private static Field attributes(String name) {
        Field value = struct("value",
                optional(STRING_VALUE, UTF8),
                optional(BOOL_VALUE, ArrowType.Bool.INSTANCE),
                optional(INT_VALUE, INT64),
                optional(DOUBLE_VALUE, new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                optional(BYTES_VALUE, ArrowType.Binary.INSTANCE),
                optional(ARRAY_VALUE, ArrowType.Binary.INSTANCE),
                optional(KVLIST_VALUE, ArrowType.Binary.INSTANCE));
        Field entries = new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE),
                List.of(required("key", UTF8), value));
        return new Field(name, FieldType.nullable(new ArrowType.Map(false)), List.of(entries));
    }

    private static Field list(String name, Field element) {
        return new Field(name, FieldType.nullable(ArrowType.List.INSTANCE), List.of(element));
    }

    private static Field struct(String name, Field... children) {
        return new Field(name, FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(children));
    }

    private static Field required(String name, ArrowType type) {
        return new Field(name, FieldType.notNullable(type), null);
    }

    private static Field optional(String name, ArrowType type) {
        return new Field(name, FieldType.nullable(type), null);
    }
}
