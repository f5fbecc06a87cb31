package io.lakeshard.client.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.FieldVector;

/** JSON Lines: one object per row, column name to value, in UTF-8; values as {@link ArrowValues#json} writes them. */
final class JsonLinesExport implements ExportWriter {
    @Override
    public void write(ResultBatches batches, Path file) throws IOException {
        ArrowValues values = new ArrowValues(batches);
        try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
                JsonGenerator out = ArrowValues.generator(stream)) {
            // Each object ends its own line, the last one too; Jackson's separator would go only between them.
            out.setRootValueSeparator(null);
            while (batches.loadNextBatch()) {
                List<FieldVector> columns = batches.getVectorSchemaRoot().getFieldVectors();
                int rows = batches.getVectorSchemaRoot().getRowCount();
                for (int row = 0; row < rows; row++) {
                    out.writeStartObject();
                    for (FieldVector column : columns) {
                        out.writeFieldName(column.getName());
                        values.json(out, column, row);
                    }
                    out.writeEndObject();
                    out.writeRaw('\n');
                }
            }
        }
    }
}
