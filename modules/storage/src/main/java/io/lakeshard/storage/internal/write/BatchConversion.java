package io.lakeshard.storage.internal.write;

import static java.util.Objects.requireNonNull;

import io.lakeshard.storage.dataset.InvalidInputException;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ArrowType.ArrowTypeID;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A batch in exactly the dataset's types, so everything after validation sees one type per column. A column that
 * already matches is used as it is; one whose values all convert without loss is copied into the dataset's type
 * (what pyarrow and pandas send by default: large strings, string and binary views, narrower or wider integers,
 * float32, timestamps in another unit or spelling of UTC, decimals of another precision or a smaller scale), and
 * so is a list, struct or map whose fields convert so. Anything else is refused naming the column (a nested field by
 * its path), the conversion and, for a value that does not fit, its row (inside a list or map: its index in the
 * flattened elements). Closing releases the converted copies, never the caller's columns.
 */
public final class BatchConversion implements AutoCloseable {
    private static final long MICROS_PER_SECOND = 1_000_000L;
    private static final long MICROS_PER_MILLI = 1_000L;
    private static final long NANOS_PER_MICRO = 1_000L;

    private final VectorSchemaRoot batch;
    private final List<FieldVector> converted;

    private BatchConversion(VectorSchemaRoot batch, List<FieldVector> converted) {
        this.batch = batch;
        this.converted = converted;
    }

    /** Every column of {@code given} must be in {@code userSchema}; the caller has checked the names. */
    public static BatchConversion of(Schema userSchema, VectorSchemaRoot given, BufferAllocator allocator) {
        requireNonNull(allocator, "allocator is null");
        Map<String, Field> expected = userSchema.getFields().stream()
                .collect(Collectors.toMap(Field::getName, Function.identity()));
        List<FieldVector> vectors = new ArrayList<>();
        List<FieldVector> converted = new ArrayList<>();
        try {
            for (FieldVector vector : given.getFieldVectors()) {
                Field want = requireNonNull(expected.get(vector.getName()), "column not in the schema");
                FieldVector exact = convert("batch." + want.getName(), want, vector, given.getRowCount(), allocator);
                if (exact != vector) {
                    converted.add(exact);
                }
                vectors.add(exact);
            }
        } catch (RuntimeException e) {
            converted.forEach(FieldVector::close);
            throw e;
        }
        List<Field> fields = vectors.stream().map(FieldVector::getField).toList();
        return new BatchConversion(new VectorSchemaRoot(fields, vectors, given.getRowCount()), converted);
    }

    /** The batch in the dataset's types; valid until this is closed. */
    public VectorSchemaRoot batch() {
        return batch;
    }

    @Override
    public void close() {
        converted.forEach(FieldVector::close);
    }

    private static FieldVector convert(String path, Field want, FieldVector given, int rows, BufferAllocator allocator) {
        ArrowType to = want.getType();
        ArrowType from = given.getField().getType();
        if (to.equals(from)) {
            return sameTypes(want, given.getField()) ? given : nested(path, want, given, rows, allocator);
        }
        if (given.getField().getDictionary() != null) {
            throw new InvalidInputException(path, "dictionary-encoded column; decode it against its dictionary before "
                    + "writing (the API does this for IPC streams)");
        }
        Conversion conversion = conversion(to, from);
        if (conversion == Conversion.NONE) {
            throw new InvalidInputException(path, "expected type " + to + ", got " + from
                    + "; there is no lossless conversion from " + from + " to " + to);
        }
        FieldVector target = want.createVector(allocator);
        try {
            target.setInitialCapacity(rows);
            target.allocateNew();
            switch (conversion) {
                case BYTES -> copyBytes((VariableWidthFieldVector) given, (VariableWidthFieldVector) target, rows);
                case INTEGER -> integers(path, (BaseIntVector) given, (BaseIntVector) target, rows);
                case FLOAT -> floats((Float4Vector) given, (Float8Vector) target, rows);
                case TIMESTAMP -> timestamps(path, (TimeStampVector) given, (TimeStampVector) target, rows);
                case DECIMAL -> decimals(path, given, (DecimalVector) target, rows);
            }
            target.setValueCount(rows);
            return target;
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
    }

    private enum Conversion { BYTES, INTEGER, FLOAT, TIMESTAMP, DECIMAL, NONE }

    private static Conversion conversion(ArrowType to, ArrowType from) {
        ArrowTypeID f = from.getTypeID();
        return switch (to.getTypeID()) {
            case Utf8, LargeUtf8 -> f == ArrowTypeID.Utf8 || f == ArrowTypeID.LargeUtf8 || f == ArrowTypeID.Utf8View
                    ? Conversion.BYTES : Conversion.NONE;
            case Binary -> f == ArrowTypeID.LargeBinary || f == ArrowTypeID.BinaryView ? Conversion.BYTES : Conversion.NONE;
            case Int -> f == ArrowTypeID.Int ? Conversion.INTEGER : Conversion.NONE;
            case FloatingPoint -> ((ArrowType.FloatingPoint) to).getPrecision() == FloatingPointPrecision.DOUBLE
                    && from instanceof ArrowType.FloatingPoint fp && fp.getPrecision() == FloatingPointPrecision.SINGLE
                    ? Conversion.FLOAT : Conversion.NONE;
            case Timestamp -> f == ArrowTypeID.Timestamp ? Conversion.TIMESTAMP : Conversion.NONE;
            case Decimal -> f == ArrowTypeID.Decimal ? Conversion.DECIMAL : Conversion.NONE;
            default -> Conversion.NONE;
        };
    }

    private static void copyBytes(VariableWidthFieldVector from, VariableWidthFieldVector to, int rows) {
        for (int i = 0; i < rows; i++) {
            if (!from.isNull(i)) {
                to.setSafe(i, from.get(i));
            }
        }
    }

    /** Any integer whose every value fits the column's width: wider always, narrower or unsigned when the values fit. */
    private static void integers(String path, BaseIntVector from, BaseIntVector to, int rows) {
        int bits = ((ArrowType.Int) to.getField().getType()).getBitWidth();
        long min = bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1));
        long max = bits == 64 ? Long.MAX_VALUE : (1L << (bits - 1)) - 1;
        // The only unsigned type whose values do not all fit a long: its large values read as negative.
        boolean unsigned64 = from instanceof UInt8Vector;
        for (int i = 0; i < rows; i++) {
            if (from.isNull(i)) {
                continue;
            }
            long value = from.getValueAsLong(i);
            if ((unsigned64 && value < 0) || value < min || value > max) {
                String shown = unsigned64 ? Long.toUnsignedString(value) : Long.toString(value);
                throw refused(path, from, to, "value " + shown + " at row " + i + " does not fit");
            }
            to.setWithPossibleTruncate(i, value);
        }
    }

    private static void floats(Float4Vector from, Float8Vector to, int rows) {
        for (int i = 0; i < rows; i++) {
            if (!from.isNull(i)) {
                to.set(i, from.get(i));
            }
        }
    }

    /**
     * Any unit into microseconds when every value is a whole number of microseconds. A zoned Arrow timestamp is a
     * UTC instant whatever its zone (the zone only says how to display it), so any valid zone converts into a UTC
     * column; a timestamp without a zone is a wall-clock time whose instant is unknown, so it never converts into a
     * UTC column, nor a zoned one into a column without a zone.
     */
    private static void timestamps(String path, TimeStampVector from, TimeStampVector to, int rows) {
        ArrowType.Timestamp fromType = (ArrowType.Timestamp) from.getField().getType();
        ArrowType.Timestamp toType = (ArrowType.Timestamp) to.getField().getType();
        if (toType.getTimezone() != null && fromType.getTimezone() == null) {
            throw refused(path, from, to, "a timestamp without a time zone is a wall-clock time, ambiguous as an "
                    + "instant; send it with a zone (pandas: tz_localize; pyarrow: pa.timestamp(unit, tz='UTC'))");
        }
        if (toType.getTimezone() == null && fromType.getTimezone() != null) {
            throw refused(path, from, to, "the column holds wall-clock times without a zone; send timestamps without "
                    + "a zone");
        }
        if (fromType.getTimezone() != null) {
            try {
                ZoneId.of(fromType.getTimezone());
            } catch (DateTimeException e) {
                throw refused(path, from, to, "unknown time zone '" + fromType.getTimezone() + "'");
            }
        }
        for (int i = 0; i < rows; i++) {
            if (from.isNull(i)) {
                continue;
            }
            long value = from.get(i);
            long micros;
            try {
                micros = switch (fromType.getUnit()) {
                    case SECOND -> Math.multiplyExact(value, MICROS_PER_SECOND);
                    case MILLISECOND -> Math.multiplyExact(value, MICROS_PER_MILLI);
                    case MICROSECOND -> value;
                    case NANOSECOND -> {
                        if (value % NANOS_PER_MICRO != 0) {
                            throw refused(path, from, to, "value " + value + " at row " + i
                                    + " is not a whole number of microseconds");
                        }
                        yield value / NANOS_PER_MICRO;
                    }
                };
            } catch (ArithmeticException e) {
                throw refused(path, from, to, "value " + value + " at row " + i + " is out of the microsecond range");
            }
            to.set(i, micros);
        }
    }

    /** Same value at the column's scale and precision: a smaller scale or a wider precision, or values that fit. */
    private static void decimals(String path, FieldVector from, DecimalVector to, int rows) {
        ArrowType.Decimal toType = (ArrowType.Decimal) to.getField().getType();
        for (int i = 0; i < rows; i++) {
            if (from.isNull(i)) {
                continue;
            }
            BigDecimal value = (BigDecimal) from.getObject(i);
            BigDecimal scaled;
            try {
                scaled = value.setScale(toType.getScale());
            } catch (ArithmeticException e) {
                throw refused(path, from, to, "value " + value.toPlainString() + " at row " + i + " needs rounding");
            }
            if (scaled.precision() > toType.getPrecision()) {
                throw refused(path, from, to, "value " + value.toPlainString() + " at row " + i + " does not fit");
            }
            to.set(i, scaled);
        }
    }

    private static boolean sameTypes(Field want, Field given) {
        if (!want.getType().equals(given.getType()) || want.getChildren().size() != given.getChildren().size()) {
            return false;
        }
        boolean struct = want.getType().getTypeID() == ArrowTypeID.Struct;
        for (int i = 0; i < want.getChildren().size(); i++) {
            Field w = want.getChildren().get(i);
            Field g = given.getChildren().get(i);
            if ((struct && !w.getName().equals(g.getName())) || !sameTypes(w, g)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A list, map or struct whose fields convert: its own validity (and offsets) are shared with the given column,
     * each field is converted as a column of its own (list elements and map entries by their index in the flattened
     * child), and a field that already matches is shared too.
     */
    private static FieldVector nested(String path, Field want, FieldVector given, int rows, BufferAllocator allocator) {
        Field givenField = given.getField();
        if (want.getChildren().size() != givenField.getChildren().size()) {
            throw new InvalidInputException(path, "expected " + want.getChildren().size() + " child fields, got "
                    + givenField.getChildren().size());
        }
        boolean struct = want.getType().getTypeID() == ArrowTypeID.Struct;
        FieldVector target = want.createVector(allocator);
        try {
            target.loadFieldBuffers(new ArrowFieldNode(rows, given.getNullCount()), given.getFieldBuffers());
            for (int i = 0; i < want.getChildren().size(); i++) {
                Field wantChild = want.getChildren().get(i);
                FieldVector givenChild = given.getChildrenFromFields().get(i);
                if (struct && !wantChild.getName().equals(givenChild.getName())) {
                    throw new InvalidInputException(path, "expected field '" + wantChild.getName() + "' at position " + i
                            + ", got '" + givenChild.getName() + "'");
                }
                String childPath = struct ? path + "." + wantChild.getName() : path + "[]";
                int count = struct ? rows : givenChild.getValueCount();
                FieldVector converted = convert(childPath, wantChild, givenChild, count, allocator);
                FieldVector targetChild = target.getChildrenFromFields().get(i);
                if (converted == givenChild) {
                    // Shares the buffers and leaves the caller's column whole.
                    givenChild.makeTransferPair(targetChild).splitAndTransfer(0, count);
                } else {
                    try (converted) {
                        converted.makeTransferPair(targetChild).transfer();
                    }
                }
            }
            target.setValueCount(rows);
            return target;
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
    }

    private static InvalidInputException refused(String path, FieldVector from, FieldVector to, String why) {
        return new InvalidInputException(path, "cannot convert " + from.getField().getType() + " to "
                + to.getField().getType() + " without loss: " + why);
    }
}
