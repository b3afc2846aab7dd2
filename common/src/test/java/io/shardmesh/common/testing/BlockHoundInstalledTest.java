package io.shardmesh.common.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * BlockHound watches every test of this module (its JUnit Platform listener installs it), so a
 * pipeline that blocks on a non-blocking thread fails its test. This proves the watch is on.
 */
class BlockHoundInstalledTest {

    @Test
    void sleepOnTheParallelScheduler_failsTheTest() {
        assertThatThrownBy(() -> Mono.fromCallable(() -> {
            Thread.sleep(1);
            return 1;
        }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10)))
                .hasCauseInstanceOf(BlockingOperationError.class);
    }
}
