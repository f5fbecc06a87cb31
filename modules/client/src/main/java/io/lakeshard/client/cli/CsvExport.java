package io.lakeshard.client.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * CSV: a header row, then a row per result row; UTF-8, RFC 4180 quoting, lines ending in {@code \n} as
 * {@code lakeshard query --format CSV} prints them. A null is an empty cell, an empty string {@code ""}; values are
 * {@link ArrowValues}' text, nested ones JSON.
 */
final class CsvExport implements ExportWriter {
    @Override
    public void write(ResultBatches batches, Path file) throws IOException {
        ArrowValues values = new ArrowValues(batches);
        try (Writer out = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8), 1 << 16)) {
            List<Field> fields = batches.getVectorSchemaRoot().getSchema().getFields();
            for (int c = 0; c < fields.size(); c++) {
                if (c > 0) {
                    out.write(',');
                }
                out.write(cell(fields.get(c).getName()));
            }
            out.write('\n');
            while (batches.loadNextBatch()) {
                List<FieldVector> columns = batches.getVectorSchemaRoot().getFieldVectors();
                int rows = batches.getVectorSchemaRoot().getRowCount();
                for (int row = 0; row < rows; row++) {
                    for (int c = 0; c < columns.size(); c++) {
                        if (c > 0) {
                            out.write(',');
                        }
                        String text = values.text(columns.get(c), row);
                        if (text != null) {
                            out.write(cell(text));
                        }
                    }
                    out.write('\n');
                }
            }
        }
    }

    /** Quoted when it holds a comma, a quote or a line break, and when empty: else it would read as null. */
    static String cell(String text) {
        if (text.isEmpty()) {
            return "\"\"";
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                return "\"" + text.replace("\"", "\"\"") + "\"";
            }
        }
        return text;
    }
}
