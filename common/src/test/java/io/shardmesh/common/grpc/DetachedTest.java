package io.shardmesh.common.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class DetachedTest {

    @Test
    void anAnswerThatArrivesBeforeTheRequest_isStillDelivered() {
        // The call answers during subscription, before the subscriber asks for anything: the
        // answer must wait for the request, not turn into an empty completion.
        StepVerifier.create(Detached.call(Mono.just("held")), 0)
                .expectSubscription()
                .expectNoEvent(java.time.Duration.ofMillis(10))
                .thenRequest(1)
                .expectNext("held")
                .verifyComplete();
    }

    @Test
    void theCallStartsUnderTheRootContext_evenInsideACancellableOne() {
        Context.CancellableContext inbound = Context.current().withCancellation();
        AtomicReference<Context> seen = new AtomicReference<>();
        Context previous = inbound.attach();
        try {
            Detached.call(Mono.fromCallable(() -> {
                seen.set(Context.current());
                return 1;
            })).block();
        } finally {
            inbound.detach(previous);
            inbound.cancel(null);
        }
        assertThat(seen.get()).isSameAs(Context.ROOT);
    }

    @Test
    void emptyAndFailedCallsPassThrough() {
        StepVerifier.create(Detached.call(Mono.empty())).verifyComplete();
        StepVerifier.create(Detached.call(Mono.error(new IllegalStateException("boom"))))
                .verifyErrorMessage("boom");
    }
}
