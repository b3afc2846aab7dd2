package io.shardmesh.cli.bench;

import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.hash.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/** This machine's speed at the data path's CPU and disk steps, one thread each, in MB/s (10^6 B/s). */
public final class Ceilings {

    private static final int BLOCK = 4 << 20;

    private Ceilings() {
    }

    /** SHA-256 of {@code bytes} in 4 MiB blocks. */
    public static double sha256(long bytes) {
        byte[] block = random(BLOCK);
        long t = System.nanoTime();
        for (long done = 0; done < bytes; done += block.length) {
            Sha256.of(block);
        }
        return mbps(bytes, System.nanoTime() - t);
    }

    /** Reed-Solomon k + m encode of {@code bytes} in 4 MiB stripes (data bytes per second). */
    public static double encode(int k, int m, long bytes) {
        byte[] block = random(BLOCK);
        ErasureCodec rs = ErasureCodec.create(k, m);
        long t = System.nanoTime();
        for (long done = 0; done < bytes; done += block.length) {
            rs.encode(block, 0, block.length);
        }
        return mbps(bytes, System.nanoTime() - t);
    }

    /**
     * A node's write of {@code bytes} as 1 MiB shards the way its store does it: a temp file
     * written and fsynced, linked under its name, the directory fsynced.
     */
    public static double fsyncedShardWrites(Path dir, long bytes) throws IOException {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path chunks = Files.createDirectories(dir.resolve("chunks"));
        ByteBuffer shard = ByteBuffer.wrap(random(1 << 20));
        long t = System.nanoTime();
        int n = (int) Math.max(1, bytes >> 20);
        for (int i = 0; i < n; i++) {
            Path f = tmp.resolve("shard-" + i);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                shard.clear();
                while (shard.hasRemaining()) {
                    ch.write(shard);
                }
                ch.force(true);
            }
            Files.createLink(chunks.resolve("shard-" + i), f);
            Files.delete(f);
            try (FileChannel d = FileChannel.open(chunks, StandardOpenOption.READ)) {
                d.force(true);
            }
        }
        double mbps = mbps((long) n << 20, System.nanoTime() - t);
        try (var files = Files.list(chunks)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        return mbps;
    }

    public static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    public static double mbps(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }
}
