package io.lakeshard.query.imports;

/**
 * A file that cannot be imported whatever the retry: it is not Parquet, or its columns cannot be made to fit the
 * dataset's. {@code slice} is the index of the offending slice in the read, or -1 when DuckDB failed on the
 * statement as a whole and did not say which file (the caller reads the slices one by one to find it).
 */
public final class FileRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int slice;

    public FileRejectedException(int slice, String reason) {
        super(reason);
        this.slice = slice;
    }

    public int slice() {
        return slice;
    }
}
