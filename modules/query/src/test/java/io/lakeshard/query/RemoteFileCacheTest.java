package io.lakeshard.query;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lakeshard.query.cache.RemoteFileCache;
import io.lakeshard.storage.fs.StorageRoot;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteFileCacheTest {
    @Test
    void keepsCopiesWithinItsBudgetEvictingTheLeastRecentlyUsedUnpinnedOnes(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("remote"));
        URI[] files = new URI[4];
        for (int i = 0; i < files.length; i++) {
            Path file = source.resolve("f" + i + ".parquet");
            Files.write(file, new byte[1000 + i]);
            files[i] = file.toUri();
        }
        RemoteFileCache cache = new RemoteFileCache(dir.resolve("cache"), 2_500, StorageRoot.local(source));

        Path first;
        Path second;
        try (RemoteFileCache.Lease lease = cache.lease()) {
            first = lease.localPath(files[0]);
            assertArrayEquals(Files.readAllBytes(Path.of(files[0])), Files.readAllBytes(first));
            second = lease.localPath(files[1]);
            assertEquals(lease.localPath(files[0]), first, "a second read is a hit");
        }
        assertEquals(2, cache.misses());
        assertEquals(1, cache.hits());
        assertEquals(2001, cache.bytes());

        try (RemoteFileCache.Lease lease = cache.lease()) {
            lease.localPath(files[0]);
            Path third = lease.localPath(files[2]);
            assertTrue(Files.exists(third));
            assertFalse(Files.exists(second), "f1, least recently used, is evicted");
            assertTrue(Files.exists(first), "f0 was used since, and is pinned");
            assertTrue(cache.bytes() <= 2_500);
        }

        try (RemoteFileCache.Lease pinning = cache.lease()) {
            pinning.localPath(files[0]);
            pinning.localPath(files[2]);
            try (RemoteFileCache.Lease other = cache.lease()) {
                Path fourth = other.localPath(files[3]);
                assertTrue(Files.exists(fourth));
                assertTrue(Files.exists(first), "pinned copies are never evicted, even over budget");
                assertTrue(cache.bytes() > 2_500);
            }
        }
        assertTrue(cache.bytes() <= 2_500, "back within budget once nothing is pinned: " + cache.bytes());
    }

    @Test
    void fetchesAQuerysFilesTogetherEachOnce(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("remote"));
        List<URI> files = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Path file = source.resolve("f" + i + ".parquet");
            Files.write(file, new byte[100 + i]);
            files.add(file.toUri());
        }
        RemoteFileCache cache = new RemoteFileCache(dir.resolve("cache"), 1 << 20, StorageRoot.local(source));
        try (RemoteFileCache.Lease lease = cache.lease()) {
            List<URI> twice = new ArrayList<>(files);
            twice.addAll(files);
            Map<URI, Path> local = lease.localPaths(twice);
            assertEquals(files.size(), local.size());
            for (URI file : files) {
                assertArrayEquals(Files.readAllBytes(Path.of(file)), Files.readAllBytes(local.get(file)));
            }
        }
        assertEquals(20, cache.misses(), "a file named twice is fetched once");
        try (RemoteFileCache.Lease lease = cache.lease()) {
            lease.localPaths(files);
        }
        assertEquals(20, cache.hits());
    }
}
