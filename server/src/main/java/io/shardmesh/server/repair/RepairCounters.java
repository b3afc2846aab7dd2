package io.shardmesh.server.repair;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The counters repair, scrub and drain share; read as one {@link RepairStatus}. */
final class RepairCounters {

    final AtomicInteger queued = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicLong done = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong shardsRepaired = new AtomicLong();
    final AtomicLong bytesFetched = new AtomicLong();
    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicLong surplusDropped = new AtomicLong();
    final AtomicLong unrecoverable = new AtomicLong();
    final AtomicLong scrubbed = new AtomicLong();
    final AtomicLong quarantined = new AtomicLong();
    final AtomicLong lastCheck = new AtomicLong();

    RepairStatus snapshot() {
        return new RepairStatus(queued.get(), running.get(), done.get(), failed.get(), shardsRepaired.get(),
                bytesFetched.get(), bytesWritten.get(), surplusDropped.get(), unrecoverable.get(), scrubbed.get(),
                quarantined.get(), lastCheck.get());
    }
}
