package io.shardmesh.common.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.shardmesh.common.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RefusalLogTest {

    private final Logger target = (Logger) LoggerFactory.getLogger(RefusalLogTest.class);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    @BeforeEach
    void attach() {
        events.start();
        target.addAppender(events);
    }

    @AfterEach
    void detach() {
        target.detachAppender(events);
    }

    @Test
    void aRepeatedRefusal_isLoggedOnce_thenAgainAfterTheQuietTime_sayingHowManyWereLeftOut() {
        MutableClock clock = new MutableClock();
        RefusalLog refusals = new RefusalLog(target, clock);

        assertThat(refusals.refused("plaintext", "refused a plaintext connection")).isTrue();
        for (int i = 0; i < 99; i++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(refusals.refused("plaintext", "refused a plaintext connection")).isFalse();
        }
        assertThat(refusals.refused("bad-cert", "refused a certificate")).as("another kind is logged").isTrue();
        clock.advance(RefusalLog.QUIET);
        assertThat(refusals.refused("plaintext", "refused a plaintext connection")).isTrue();

        assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "refused a plaintext connection (the same again is logged at most once per 10 min)",
                "refused a certificate (the same again is logged at most once per 10 min)",
                "refused a plaintext connection (99 more like it in the last 10 min not logged)");
    }
}
