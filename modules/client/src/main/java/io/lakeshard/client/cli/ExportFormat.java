package io.lakeshard.client.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** The file formats {@code lakeshard export} writes, and the extensions that name them. */
enum ExportFormat {
    PARQUET(ParquetExport::new, ".parquet"),
    CSV(CsvExport::new, ".csv"),
    JSONL(JsonLinesExport::new, ".jsonl", ".ndjson");

    private final Supplier<ExportWriter> writer;
    private final List<String> extensions;

    ExportFormat(Supplier<ExportWriter> writer, String... extensions) {
        this.writer = writer;
        this.extensions = List.of(extensions);
    }

    ExportWriter writer() {
        return writer.get();
    }

    /** {@code --format} when given, else the file's extension. */
    static ExportFormat of(Path file, String format) {
        if (format != null) {
            for (ExportFormat candidate : values()) {
                if (candidate.name().equalsIgnoreCase(format.strip())) {
                    return candidate;
                }
            }
            throw new IllegalArgumentException("--format takes parquet, csv or jsonl; not '" + format + "'");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (ExportFormat candidate : values()) {
            if (candidate.extensions.stream().anyMatch(name::endsWith)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("cannot tell the format of '" + file.getFileName()
                + "': name it .parquet, .csv or .jsonl, or pass --format");
    }
}
