package io.shardmesh.server.meta;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A count over a table kept until the table is written again: {@code Node.Status} under load
 * asks for the same counts thousands of times a second, and a {@code COUNT(DISTINCT ...)} is a
 * scan. Exact, not approximate: a writer calls {@link #written} after each write commits, and
 * a count taken while a write lands is recounted on the next call.
 */
public final class CountMemo {

    private final AtomicLong writes = new AtomicLong();
    /** The count and the number of writes before it was taken. */
    private volatile long[] memo = {-1, 0};

    /** After a write to the table has committed. */
    public void written() {
        writes.incrementAndGet();
    }

    /** The count, from {@code count} only when the table was written since the last one. */
    public long get(LongSupplier count) {
        long w = writes.get();
        long[] m = memo;
        if (m[0] == w) {
            return m[1];
        }
        long n = count.getAsLong();
        memo = new long[] {w, n};
        return n;
    }
}
