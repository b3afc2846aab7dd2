package io.shardmesh.server.store;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.units.Sizes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;

/** {@link ChunkStore} on a local file system. */
final class DiskChunkStore implements ChunkStore {

    private final Logger log;
    /** Read size when streaming a chunk through SHA-256: large enough to amortize syscalls. */
    private static final int VERIFY_BUFFER = 256 * 1024;

    private final Path chunksDir;
    private final Path tmpDir;
    private final Path quarantineDir;
    private final long maxBytes;
    private final Object accounting = new Object();
    private long storedBytes;
    private long storedChunks;
    private long reservedBytes;
    private final AtomicLong tmpSequence = new AtomicLong();
    private final List<Consumer<ContentId>> quarantineListeners = new CopyOnWriteArrayList<>();

    private DiskChunkStore(Path dataDir, long maxBytes, Logger log) {
        this.log = log;
        this.chunksDir = dataDir.resolve("chunks");
        this.tmpDir = dataDir.resolve("tmp");
        this.quarantineDir = dataDir.resolve("quarantine");
        this.maxBytes = maxBytes;
    }

    static DiskChunkStore open(Path dataDir, long maxBytes) {
        return open(dataDir, maxBytes, NodeLog.logger(DiskChunkStore.class));
    }

    static DiskChunkStore open(Path dataDir, long maxBytes, Logger log) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("max storage must be 0 (unlimited) or positive, got " + maxBytes);
        }
        DiskChunkStore store = new DiskChunkStore(dataDir, maxBytes, log);
        try {
            Files.createDirectories(store.chunksDir);
            Files.createDirectories(store.tmpDir);
            Files.createDirectories(store.quarantineDir);
            store.cleanTmp();
            store.scan();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the chunk store in " + dataDir + ": " + e.getMessage(), e);
        }
        return store;
    }

    /** Temp files are writes that never committed (a crash or a failed upload): never valid. */
    private void cleanTmp() throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tmpDir)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
                removed++;
            }
        }
        if (removed > 0) {
            log.info("removed {} unfinished chunk write(s) from {}", removed, tmpDir);
        }
    }

    private void scan() {
        long[] totals = new long[2];
        forEach(c -> {
            totals[0]++;
            totals[1] += c.size();
        });
        synchronized (accounting) {
            storedChunks = totals[0];
            storedBytes = totals[1];
        }
    }

    Path pathOf(ContentId id) {
        String hex = id.hex();
        return chunksDir.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex);
    }

    @Override
    public boolean contains(ContentId id) {
        return Files.isRegularFile(pathOf(id));
    }

    @Override
    public OptionalLong size(ContentId id) {
        try {
            return OptionalLong.of(Files.size(pathOf(id)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw io("read the size of chunk " + id, e);
        }
    }

    @Override
    public byte[] readVerified(ContentId id) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(pathOf(id));
        } catch (NoSuchFileException e) {
            throw notFound(id);
        } catch (IOException e) {
            throw io("read chunk " + id, e);
        }
        if (!Sha256.of(bytes).equals(id)) {
            throw quarantine(id);
        }
        return bytes;
    }

    @Override
    public ChunkReader openVerified(ContentId id) {
        FileChannel ch;
        try {
            ch = FileChannel.open(pathOf(id), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw notFound(id);
        } catch (IOException e) {
            throw io("open chunk " + id, e);
        }
        try {
            Sha256.Hasher h = Sha256.hasher();
            ByteBuffer buf = ByteBuffer.allocate(VERIFY_BUFFER);
            long pos = 0;
            int n;
            while ((n = ch.read(buf, pos)) > 0) {
                pos += n;
                buf.flip();
                h.update(buf);
                buf.clear();
            }
            if (!h.finish().equals(id)) {
                ch.close();
                throw quarantine(id);
            }
            return new Reader(ch, id);
        } catch (IOException e) {
            closeQuietly(ch);
            throw io("verify chunk " + id, e);
        }
    }

    @Override
    public ChunkWriter beginWrite(ContentId id, long size) {
        if (size < 0) {
            throw MeshException.invalidArgument("chunk size must not be negative, got " + size);
        }
        synchronized (accounting) {
            long used = storedBytes + reservedBytes;
            if (maxBytes > 0 && used + size > maxBytes) {
                throw MeshException.resourceExhausted("storage quota of " + Sizes.format(maxBytes)
                        + " is full: " + Sizes.format(used) + " used or being written, no room for "
                        + Sizes.format(size) + " more");
            }
            reservedBytes += size;
        }
        Path tmp = tmpDir.resolve(id.hex() + "." + tmpSequence.incrementAndGet());
        try {
            FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return new Writer(id, size, tmp, ch);
        } catch (IOException e) {
            release(size);
            throw io("create a temp file for chunk " + id, e);
        }
    }

    @Override
    public boolean delete(ContentId id) {
        Path p = pathOf(id);
        try {
            long size = Files.size(p);
            if (Files.deleteIfExists(p)) {
                synchronized (accounting) {
                    storedBytes -= size;
                    storedChunks--;
                }
                return true;
            }
            return false;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw io("delete chunk " + id, e);
        }
    }

    @Override
    public void forEach(Consumer<StoredChunk> visitor) {
        try (DirectoryStream<Path> level1 = Files.newDirectoryStream(chunksDir)) {
            for (Path d1 : level1) {
                if (!Files.isDirectory(d1)) {
                    continue;
                }
                try (DirectoryStream<Path> level2 = Files.newDirectoryStream(d1)) {
                    for (Path d2 : level2) {
                        if (!Files.isDirectory(d2)) {
                            continue;
                        }
                        try (DirectoryStream<Path> files = Files.newDirectoryStream(d2)) {
                            for (Path f : files) {
                                visit(f, visitor);
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw io("list chunks", e);
        }
    }

    private void visit(Path f, Consumer<StoredChunk> visitor) throws IOException {
        ContentId id;
        try {
            id = ContentId.fromHex(f.getFileName().toString());
        } catch (MeshException e) {
            log.warn("ignoring a stray file in the chunk store: {}", f);
            return;
        }
        try {
            visitor.accept(new StoredChunk(id, Files.size(f)));
        } catch (NoSuchFileException e) {
            // Deleted while listing.
        }
    }

    @Override
    public StoreStats stats() {
        synchronized (accounting) {
            return new StoreStats(storedChunks, storedBytes, reservedBytes, maxBytes);
        }
    }

    @Override
    public void onQuarantine(Consumer<ContentId> listener) {
        quarantineListeners.add(listener);
    }

    @Override
    public void close() {
        // Nothing is held open between calls; readers and writers close themselves.
    }

    private MeshException quarantine(ContentId id) {
        Path p = pathOf(id);
        try {
            long size = Files.size(p);
            // A random suffix keeps every quarantined copy, however often the same id goes bad.
            Path target = quarantineDir.resolve(id.hex() + "." + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()));
            Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
            synchronized (accounting) {
                storedBytes -= size;
                storedChunks--;
            }
            log.warn("chunk {} does not match its id: moved to {}", id, target);
        } catch (NoSuchFileException e) {
            // Another reader quarantined it first.
        } catch (IOException e) {
            log.error("chunk {} does not match its id and could not be quarantined: {}", id, e.getMessage());
        }
        quarantineListeners.forEach(l -> {
            try {
                l.accept(id);
            } catch (RuntimeException e) {
                log.warn("quarantine listener failed for {}", id, e);
            }
        });
        return MeshException.dataLoss("stored copy of chunk " + id + " does not match its hash; it was quarantined");
    }

    private void release(long size) {
        synchronized (accounting) {
            reservedBytes -= size;
        }
    }

    private static MeshException notFound(ContentId id) {
        return MeshException.notFound("chunk " + id + " is not stored on this node");
    }

    private static MeshException io(String what, IOException e) {
        return MeshException.internal("chunk store: cannot " + what + ": " + e.getMessage(), e);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Already failing; the first error is the one to report.
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        // Makes the rename itself durable: without it a power cut can forget the new name.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static final class Reader implements ChunkReader {

        private final FileChannel channel;
        private final ContentId id;
        private final long size;

        Reader(FileChannel channel, ContentId id) throws IOException {
            this.channel = channel;
            this.id = id;
            this.size = channel.size();
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public ByteBuffer read(long position, int length) {
            int n = (int) Math.max(0, Math.min(length, size - position));
            ByteBuffer buf = ByteBuffer.allocate(n);
            try {
                while (buf.hasRemaining()) {
                    if (channel.read(buf, position + buf.position()) < 0) {
                        break;
                    }
                }
            } catch (IOException e) {
                throw io("read chunk " + id, e);
            }
            return buf.flip();
        }

        @Override
        public void close() {
            closeQuietly(channel);
        }
    }

    private final class Writer implements ChunkWriter {

        private final ContentId id;
        private final long size;
        private final Path tmp;
        private final FileChannel channel;
        private final Sha256.Hasher hasher = Sha256.hasher();
        private long written;
        /**
         * Set once by whichever of commit and close comes first: a cancel can close the writer on
         * one thread while commit runs on another, and the reservation must be released once.
         */
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        Writer(ContentId id, long size, Path tmp, FileChannel channel) {
            this.id = id;
            this.size = size;
            this.tmp = tmp;
            this.channel = channel;
        }

        @Override
        public void write(ByteBuffer data) {
            if (done.get()) {
                throw new IllegalStateException("write after commit or close");
            }
            int n = data.remaining();
            if (written + n > size) {
                throw MeshException.invalidArgument("chunk " + id + " declared " + size
                        + " bytes but more arrived (" + (written + n) + " so far)");
            }
            hasher.update(data.duplicate());
            try {
                while (data.hasRemaining()) {
                    channel.write(data);
                }
            } catch (IOException e) {
                throw io("write chunk " + id, e);
            }
            written += n;
        }

        @Override
        public long written() {
            return written;
        }

        @Override
        public boolean commit() {
            if (!done.compareAndSet(false, true)) {
                throw MeshException.failedPrecondition("upload of chunk " + id + " was cancelled");
            }
            try {
                if (written != size) {
                    throw MeshException.invalidArgument("chunk " + id + " declared " + size
                            + " bytes but the stream ended after " + written);
                }
                ContentId actual = hasher.finish();
                if (!actual.equals(id)) {
                    throw MeshException.dataLoss("uploaded bytes hash to " + actual + ", not to the declared chunk id " + id);
                }
                channel.force(true);
                channel.close();
                Path target = pathOf(id);
                Files.createDirectories(target.getParent());
                try {
                    // A hard link is an atomic create-if-absent: of two concurrent uploads of the
                    // same chunk exactly one wins, and a reader never sees a partial file.
                    Files.createLink(target, tmp);
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
                fsyncDirectory(target.getParent());
                synchronized (accounting) {
                    storedBytes += size;
                    storedChunks++;
                }
                return true;
            } catch (IOException e) {
                throw io("commit chunk " + id, e);
            } finally {
                release(size);
                closeQuietly(channel);
                deleteQuietly(tmp);
            }
        }

        @Override
        public void close() {
            if (done.compareAndSet(false, true)) {
                release(size);
                closeQuietly(channel);
                deleteQuietly(tmp);
            }
        }

        private void deleteQuietly(Path p) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                log.warn("could not delete temp file {}: {}", p, e.getMessage());
            }
        }
    }
}
