package io.shardmesh.common.repair;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class ByteRateTest {

    @Test
    void acquire_oneSecondBurst_thenTheRate() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(vts.now(TimeUnit.MILLISECONDS));
            }
        };
        vts.advanceTimeBy(Duration.ofHours(1));
        ByteRate rate = new ByteRate(1_000, clock, vts);
        // 1,000 B/s: the first 1,000 B pass at once (an idle second's worth), the next 3,000 take 3 s.
        StepVerifier.withVirtualTime(() -> Flux.range(0, 4).concatMap(i -> rate.acquire(1_000).thenReturn(i)), () -> vts,
                        Long.MAX_VALUE)
                .expectNext(0)
                .expectNoEvent(Duration.ofMillis(999))
                .thenAwait(Duration.ofMillis(1))
                .expectNext(1)
                .thenAwait(Duration.ofSeconds(2))
                .expectNext(2, 3)
                .verifyComplete();
    }

    @Test
    void acquire_unbounded_neverWaits() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        ByteRate rate = ByteRate.unbounded(Clock.systemUTC(), vts);
        StepVerifier.create(Flux.range(0, 100).concatMap(i -> rate.acquire(1L << 30).thenReturn(i)))
                .expectNextCount(100)
                .verifyComplete();
    }
}
