package io.lakeshard.client.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.PeriodDuration;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeNanoVector;
import org.apache.arrow.vector.TimeSecVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;

/**
 * Arrow values as text (a CSV cell) and as JSON, for exports. Times are ISO-8601: an instant (a timestamp with a
 * zone) in UTC with a {@code Z}, a timestamp without one as the wall-clock time it is; bytes are base64; numbers keep
 * every digit (unsigned 64-bit and decimals included); lists, structs and maps are JSON arrays and objects.
 */
final class ArrowValues {
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final long NANOS_PER_DAY = 86_400_000_000_000L;

    private final DictionaryProvider dictionaries;

    /**
     * @param dictionaries the values of dictionary-encoded columns (DuckDB's form of an ENUM in Arrow), written as
     *     their values, not their codes
     */
    ArrowValues(DictionaryProvider dictionaries) {
        this.dictionaries = dictionaries;
    }

    /** A generator that writes UTF-8 and keeps every digit of a decimal. */
    static JsonGenerator generator(OutputStream out) throws IOException {
        return JSON.createGenerator(out, JsonEncoding.UTF8);
    }

    /** The value as one JSON value: numbers and booleans as such, lists and structs and maps nested, the rest strings. */
    void json(JsonGenerator out, ValueVector vector, int index) throws IOException {
        if (vector.isNull(index)) {
            out.writeNull();
            return;
        }
        Dictionary dictionary = dictionary(vector);
        if (dictionary != null) {
            json(out, dictionary.getVector(), dictionaryIndex(vector, index));
            return;
        }
        Number number = number(vector, index);
        if (number != null) {
            writeNumber(out, number);
            return;
        }
        switch (vector.getMinorType()) {
            case BIT -> out.writeBoolean(((BitVector) vector).get(index) != 0);
            case VARBINARY, LARGEVARBINARY, VIEWVARBINARY, FIXEDSIZEBINARY -> out.writeBinary((byte[]) vector.getObject(index));
            case LIST -> {
                ListVector list = (ListVector) vector;
                array(out, list.getDataVector(), list.getElementStartIndex(index), list.getElementEndIndex(index));
            }
            case LARGELIST -> {
                LargeListVector list = (LargeListVector) vector;
                array(out, list.getDataVector(), Math.toIntExact(list.getElementStartIndex(index)),
                        Math.toIntExact(list.getElementEndIndex(index)));
            }
            case FIXED_SIZE_LIST -> {
                FixedSizeListVector list = (FixedSizeListVector) vector;
                array(out, list.getDataVector(), index * list.getListSize(), (index + 1) * list.getListSize());
            }
            case MAP -> {
                MapVector map = (MapVector) vector;
                StructVector entries = (StructVector) map.getDataVector();
                ValueVector keys = entries.getChildByOrdinal(0);
                ValueVector values = entries.getChildByOrdinal(1);
                // JSON keys are strings: a map's keys in their text form.
                out.writeStartObject();
                for (int entry = map.getElementStartIndex(index); entry < map.getElementEndIndex(index); entry++) {
                    out.writeFieldName(text(keys, entry));
                    json(out, values, entry);
                }
                out.writeEndObject();
            }
            case STRUCT -> {
                StructVector struct = (StructVector) vector;
                out.writeStartObject();
                for (FieldVector field : struct.getChildrenFromFields()) {
                    out.writeFieldName(field.getName());
                    json(out, field, index);
                }
                out.writeEndObject();
            }
            default -> out.writeString(text(vector, index));
        }
    }

    /** The value as text, or null for null; nested values as their JSON. */
    String text(ValueVector vector, int index) {
        if (vector.isNull(index)) {
            return null;
        }
        Dictionary dictionary = dictionary(vector);
        if (dictionary != null) {
            return text(dictionary.getVector(), dictionaryIndex(vector, index));
        }
        Number number = number(vector, index);
        if (number != null) {
            return number instanceof BigDecimal decimal ? decimal.toPlainString() : number.toString();
        }
        return switch (vector.getMinorType()) {
            case BIT -> ((BitVector) vector).get(index) != 0 ? "true" : "false";
            case VARCHAR, LARGEVARCHAR, VIEWVARCHAR -> vector.getObject(index).toString();
            case VARBINARY, LARGEVARBINARY, VIEWVARBINARY, FIXEDSIZEBINARY ->
                    Base64.getEncoder().encodeToString((byte[]) vector.getObject(index));
            case DATEDAY -> LocalDate.ofEpochDay(((DateDayVector) vector).get(index)).toString();
            case DATEMILLI -> LocalDate.ofEpochDay(Math.floorDiv(((DateMilliVector) vector).get(index), 86_400_000L)).toString();
            case TIMESEC -> time(((TimeSecVector) vector).get(index) * 1_000_000_000L);
            case TIMEMILLI -> time(((TimeMilliVector) vector).get(index) * 1_000_000L);
            case TIMEMICRO -> time(((TimeMicroVector) vector).get(index) * 1_000L);
            case TIMENANO -> time(((TimeNanoVector) vector).get(index));
            case TIMESTAMPSEC, TIMESTAMPMILLI, TIMESTAMPMICRO, TIMESTAMPNANO, TIMESTAMPSECTZ, TIMESTAMPMILLITZ, TIMESTAMPMICROTZ,
                    TIMESTAMPNANOTZ -> timestamp((TimeStampVector) vector, index);
            case INTERVALMONTHDAYNANO -> ((PeriodDuration) vector.getObject(index)).toISO8601IntervalString();
            case LIST, LARGELIST, FIXED_SIZE_LIST, MAP, STRUCT -> jsonText(vector, index);
            // Durations and periods print as ISO-8601 already; unions and extension types as Arrow's Java value.
            default -> String.valueOf(vector.getObject(index));
        };
    }

    private void array(JsonGenerator out, ValueVector elements, int start, int end) throws IOException {
        out.writeStartArray();
        for (int element = start; element < end; element++) {
            json(out, elements, element);
        }
        out.writeEndArray();
    }

    private String jsonText(ValueVector vector, int index) {
        StringWriter text = new StringWriter();
        try (JsonGenerator out = JSON.createGenerator(text)) {
            json(out, vector, index);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private Dictionary dictionary(ValueVector vector) {
        DictionaryEncoding encoding = vector.getField().getDictionary();
        return encoding == null ? null : dictionaries.lookup(encoding.getId());
    }

    private static int dictionaryIndex(ValueVector vector, int index) {
        return Math.toIntExact(((BaseIntVector) vector).getValueAsLong(index));
    }

    /** Integers (unsigned ones unsigned), floating point and decimals; null for every other type. */
    private static Number number(ValueVector vector, int index) {
        return switch (vector.getMinorType()) {
            case TINYINT, SMALLINT, INT, BIGINT, UINT1, UINT2, UINT4 -> ((BaseIntVector) vector).getValueAsLong(index);
            case UINT8 -> ((UInt8Vector) vector).getObjectNoOverflow(index);
            case FLOAT4 -> ((Float4Vector) vector).get(index);
            case FLOAT8 -> ((Float8Vector) vector).get(index);
            case DECIMAL, DECIMAL256 -> (BigDecimal) vector.getObject(index);
            default -> null;
        };
    }

    private static void writeNumber(JsonGenerator out, Number number) throws IOException {
        // Jackson writes NaN and the infinities as strings: JSON has no numbers for them.
        if (number instanceof Long value) {
            out.writeNumber(value);
        } else if (number instanceof BigInteger value) {
            out.writeNumber(value);
        } else if (number instanceof Float value) {
            out.writeNumber(value);
        } else if (number instanceof Double value) {
            out.writeNumber(value);
        } else {
            out.writeNumber((BigDecimal) number);
        }
    }

    private static String time(long nanosOfDay) {
        // DuckDB allows 24:00:00, which LocalTime does not.
        return nanosOfDay == NANOS_PER_DAY ? "24:00:00" : LocalTime.ofNanoOfDay(nanosOfDay).format(DateTimeFormatter.ISO_LOCAL_TIME);
    }

    private static String timestamp(TimeStampVector vector, int index) {
        ArrowType.Timestamp type = (ArrowType.Timestamp) vector.getField().getType();
        long value = vector.get(index);
        long perSecond = switch (type.getUnit()) {
            case SECOND -> 1L;
            case MILLISECOND -> 1_000L;
            case MICROSECOND -> 1_000_000L;
            case NANOSECOND -> 1_000_000_000L;
        };
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(value, perSecond), Math.floorMod(value, perSecond) * (1_000_000_000L / perSecond));
        // With a zone the value is an instant, written in UTC; without one it is a wall-clock time of no zone, and a
        // Z would claim one.
        return type.getTimezone() != null ? instant.toString()
                : LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME);
    }
}
