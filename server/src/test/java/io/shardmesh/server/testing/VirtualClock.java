package io.shardmesh.server.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Wall-clock time read off a {@link VirtualTimeScheduler}: timers and clock move together. */
public final class VirtualClock extends Clock {

    private final VirtualTimeScheduler vts;

    public VirtualClock(VirtualTimeScheduler vts) {
        this.vts = vts;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(vts.now(TimeUnit.MILLISECONDS));
    }
}
