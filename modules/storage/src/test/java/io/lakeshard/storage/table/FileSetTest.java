package io.lakeshard.storage.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.lakeshard.storage.stats.FileStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Versions derived from one another share a file set's index: each must read as the map it stands for (a model kept
 * as a LinkedHashMap beside it), and deriving the next must never change an earlier one.
 */
class FileSetTest {
    @Test
    void everyVersionReadsAsItsOwnMapWhileLaterOnesAreDerived() {
        SplittableRandom random = new SplittableRandom(11);
        List<FileSet> versions = new ArrayList<>();
        List<Map<String, DataFile>> models = new ArrayList<>();
        Map<String, DataFile> model = new LinkedHashMap<>();
        for (int i = 0; i < 2_000; i++) {
            DataFile file = file("base-" + i, i);
            model.put(file.path(), file);
        }
        FileSet current = FileSet.of(model.values());
        List<TableChange> changes = new ArrayList<>();
        int next = 0;
        for (int commit = 0; commit < 1_500; commit++) {
            List<String> removed = new ArrayList<>();
            List<String> paths = new ArrayList<>(model.keySet());
            for (int r = random.nextInt(4); r > 0 && !paths.isEmpty(); r--) {
                removed.add(paths.get(random.nextInt(paths.size())));
            }
            if (random.nextInt(10) == 0) {
                removed.add("never-there-" + commit);
            }
            List<DataFile> adds = new ArrayList<>();
            for (int a = random.nextInt(12); a > 0; a--) {
                // Now and then a live path is replaced, or one removed in this commit comes back.
                String path = random.nextInt(20) == 0 && !paths.isEmpty() ? paths.get(random.nextInt(paths.size())) : "added-" + next++;
                adds.add(file(path, commit));
            }
            removed.forEach(model::remove);
            for (DataFile add : adds) {
                model.remove(add.path());
                model.put(add.path(), add);
            }
            TableChange change = new TableChange(commit, commit, adds, removed, false);
            changes.add(change);
            // Now and then two commits at once, from the version before the last, as a node catching up derives them.
            current = commit % 7 == 6
                    ? versions.get(commit - 2).after(List.of(changes.get(commit - 1), change))
                    : current.after(List.of(change));
            versions.add(current);
            models.add(new LinkedHashMap<>(model));
        }
        for (int v = 0; v < versions.size(); v++) {
            FileSet version = versions.get(v);
            Map<String, DataFile> expected = models.get(v);
            assertEquals(expected.size(), version.size(), "version " + v);
            assertEquals(new ArrayList<>(expected.values()), new ArrayList<>(version.values()), "version " + v + ", in order");
            assertEquals(expected, version, "version " + v);
            for (DataFile file : expected.values()) {
                assertEquals(file, version.get(file.path()));
            }
            assertNull(version.get("never-there-" + v));
        }
    }

    private static DataFile file(String path, long modified) {
        return new DataFile(path, Map.of(), 100, modified, null, new FileStats(10, Map.of()), Optional.empty());
    }
}
