# The streams a Python user sends: pyarrow 25's defaults for pandas-like data, written with each buffer
# compression, and one with view types. ArrowStreamsTest reads them; regenerate with `python make_pyarrow_streams.py`.
import pyarrow as pa
import pyarrow.ipc as ipc

def batch(start, names):
    n = len(names)
    return pa.record_batch({
        "id": pa.array(range(start, start + n), pa.int64()),
        "name": pa.array(names, pa.string()).dictionary_encode(),
        "body": pa.array([f"body-{i}" for i in range(start, start + n)], pa.large_string()),
        "at": pa.array([1_700_000_000_000_000_000 + i * 1000 for i in range(start, start + n)], pa.timestamp("ns", "Etc/UTC")),
        "small": pa.array(range(n), pa.int32()),
        "ratio": pa.array([0.5] * n, pa.float32()),
    })

def write(path, batches, compression=None):
    with ipc.new_stream(path, batches[0].schema, options=ipc.IpcWriteOptions(compression=compression)) as w:
        for b in batches:
            w.write_batch(b)

# Two batches with different dictionaries: the second replaces the first.
frames = [batch(0, ["a", "b", "a"]), batch(3, ["c", None])]
write("pandas-uncompressed.arrows", frames)
write("pandas-lz4.arrows", frames, "lz4")
write("pandas-zstd.arrows", frames, "zstd")
views = pa.record_batch({
    "s": pa.array(["short", None, "a string longer than twelve bytes"], pa.string_view()),
    "b": pa.array([b"\x00\x01", b"a binary value longer than twelve", None], pa.binary_view()),
})
write("views.arrows", [views])
