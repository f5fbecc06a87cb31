package io.lakeshard.client.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Query results for people (an aligned table) or for other programs (CSV, JSON lines). */
final class TablePrinter {
    private static final int MAX_CELL = 60;

    enum Format { TABLE, CSV, JSON }

    private final Format format;
    private final List<String> columns = new ArrayList<>();
    private final List<List<String>> rows = new ArrayList<>();

    TablePrinter(Format format) {
        this.format = format;
    }

    /** Rows of text under their column names, as a table. */
    static void printTable(PrintWriter out, BufferAllocator allocator, List<String> columns, List<List<String>> rows) {
        TablePrinter table = new TablePrinter(Format.TABLE);
        try (VectorSchemaRoot root = Rows.of(allocator, columns, rows)) {
            table.add(root);
        }
        table.print(out);
    }

    void add(VectorSchemaRoot batch) {
        if (columns.isEmpty()) {
            batch.getSchema().getFields().forEach(f -> columns.add(f.getName()));
        }
        for (int r = 0; r < batch.getRowCount(); r++) {
            List<String> row = new ArrayList<>();
            for (FieldVector vector : batch.getFieldVectors()) {
                Object value = vector.getObject(r);
                row.add(value == null ? null : value instanceof byte[] bytes ? HexFormat.of().formatHex(bytes) : value.toString());
            }
            rows.add(row);
        }
    }

    void print(PrintWriter out) {
        switch (format) {
            case CSV -> {
                out.println(String.join(",", columns.stream().map(TablePrinter::csv).toList()));
                rows.forEach(row -> out.println(String.join(",", row.stream().map(v -> v == null ? "" : csv(v)).toList())));
            }
            case JSON -> {
                ObjectMapper json = new ObjectMapper();
                for (List<String> row : rows) {
                    ObjectNode object = json.createObjectNode();
                    for (int c = 0; c < columns.size(); c++) {
                        object.put(columns.get(c), row.get(c));
                    }
                    out.println(object);
                }
            }
            case TABLE -> table(out);
        }
        out.flush();
    }

    private void table(PrintWriter out) {
        int[] widths = new int[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            widths[c] = columns.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], Math.min(MAX_CELL, cell(row.get(c)).length()));
            }
        }
        StringBuilder rule = new StringBuilder("+");
        for (int width : widths) {
            rule.append("-".repeat(width + 2)).append('+');
        }
        out.println(rule);
        out.println(line(columns, widths));
        out.println(rule);
        rows.forEach(row -> out.println(line(row.stream().map(TablePrinter::cell).toList(), widths)));
        out.println(rule);
        out.println(rows.size() + (rows.size() == 1 ? " row" : " rows"));
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder("|");
        for (int c = 0; c < cells.size(); c++) {
            String text = cells.get(c).length() > widths[c] ? cells.get(c).substring(0, widths[c] - 1) + "~" : cells.get(c);
            line.append(' ').append(text).append(" ".repeat(widths[c] - text.length())).append(" |");
        }
        return line.toString();
    }

    private static String cell(String value) {
        return value == null ? "NULL" : value;
    }

    private static String csv(String value) {
        return value.contains(",") || value.contains("\"") || value.contains("\n")
                ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }
}
