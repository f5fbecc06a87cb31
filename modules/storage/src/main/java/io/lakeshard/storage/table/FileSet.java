package io.lakeshard.storage.table;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Function;

/**
 * A snapshot's files by path, in the order they were added, that the next version derives from without rebuilding
 * it: a large table's refresh after a commit of a few files had rebuilt a map of 100,000 entries, most of its time.
 * The files sit in an array by position (a removed one leaves a hole); the index of most of them is shared by the
 * versions derived from one another, and each version indexes only the files added since on its own.
 */
final class FileSet extends AbstractMap<String, DataFile> {
    /** The most files indexed by a version alone before the next one indexes them all again. */
    private static final int MIN_OWN_INDEX = 4_096;

    private final DataFile[] files;
    private final int end;
    private final Map<String, Integer> shared;
    private final Map<String, Integer> own;
    private final int size;

    private FileSet(DataFile[] files, int end, Map<String, Integer> shared, Map<String, Integer> own, int size) {
        this.files = files;
        this.end = end;
        this.shared = shared;
        this.own = own;
        this.size = size;
    }

    static FileSet of(Collection<DataFile> files) {
        DataFile[] array = new DataFile[files.size()];
        Map<String, Integer> index = new HashMap<>(files.size() * 4 / 3 + 1);
        int end = 0;
        for (DataFile file : files) {
            Integer earlier = index.put(file.path(), end);
            if (earlier != null) {
                array[earlier] = null;
            }
            array[end++] = file;
        }
        return new FileSet(array, end, index, Collections.emptyMap(), index.size());
    }

    /**
     * This version's files after {@code changes}, in order: each removes its paths, then adds its files (an add of a
     * known path replaces it, at the end). One copy for all of them: a node catching up on many commits derives once.
     */
    FileSet after(List<TableChange> changes) {
        int added = changes.stream().mapToInt(change -> change.adds().size()).sum();
        DataFile[] next = Arrays.copyOf(files, end + added);
        Map<String, Integer> ownNext = new HashMap<>(own);
        int count = size;
        int nextEnd = end;
        for (TableChange change : changes) {
            for (String path : change.removedPaths()) {
                count -= vacate(next, ownNext, path);
            }
            for (DataFile add : change.adds()) {
                count -= vacate(next, ownNext, add.path());
                ownNext.put(add.path(), nextEnd);
                next[nextEnd++] = add;
                count++;
            }
        }
        FileSet derived = new FileSet(next, nextEnd, shared, ownNext, count);
        // Index everything again once this version's own index or its holes grow large: amortised over the commits.
        if (ownNext.size() > Math.max(MIN_OWN_INDEX, nextEnd / 8) || count < nextEnd / 2) {
            return of(derived.values());
        }
        return derived;
    }

    /** Leaves a hole where {@code path} is in {@code next}: 1 if it was there, else 0. */
    private int vacate(DataFile[] next, Map<String, Integer> ownIndex, String path) {
        Integer at = position(path, ownIndex);
        if (at == null || next[at] == null) {
            return 0;
        }
        next[at] = null;
        return 1;
    }

    private Integer position(Object path, Map<String, Integer> ownIndex) {
        Integer at = ownIndex.get(path);
        return at != null ? at : shared.get(path);
    }

    @Override
    public DataFile get(Object path) {
        Integer at = position(path, own);
        return at == null ? null : files[at];
    }

    @Override
    public boolean containsKey(Object path) {
        return get(path) != null;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Collection<DataFile> values() {
        return new AbstractCollection<>() {
            @Override
            public Iterator<DataFile> iterator() {
                return new Positions<>(file -> file);
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    @Override
    public Set<Entry<String, DataFile>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, DataFile>> iterator() {
                return new Positions<>(file -> new SimpleImmutableEntry<>(file.path(), file));
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    /** The files in order, skipping the holes of removed ones. */
    private final class Positions<T> implements Iterator<T> {
        private final Function<DataFile, T> view;
        private int at = skip(0);

        Positions(Function<DataFile, T> view) {
            this.view = view;
        }

        private int skip(int from) {
            int position = from;
            while (position < end && files[position] == null) {
                position++;
            }
            return position;
        }

        @Override
        public boolean hasNext() {
            return at < end;
        }

        @Override
        public T next() {
            if (at >= end) {
                throw new NoSuchElementException();
            }
            DataFile file = files[at];
            at = skip(at + 1);
            return view.apply(file);
        }
    }
}
