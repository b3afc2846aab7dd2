package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.NodeId;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** A full bucket pings its least-recently seen contact and evicts it only if it does not answer. */
class KademliaEvictionTest {

    private final NodeKey key = NodeKey.generate();

    private Kademlia node(DhtTransport t) {
        Contact self = new Contact(key.id(), "10.0.0.1", 7000);
        return new Kademlia(key, () -> self, KademliaConfig.defaults().withK(2), t, new InMemoryRecordStore(),
                Clock.systemUTC(), Schedulers.parallel(), Schedulers.immediate(), ContactListener.NONE);
    }

    /** Three contacts that share a bucket (the top bit differs from self, the rest is random). */
    private Contact[] sameBucket() {
        Contact[] out = new Contact[3];
        for (int i = 0; i < 3; i++) {
            NodeId r = NodeId.random();
            long flipTop = (key.id().w0() ^ Long.MIN_VALUE) & Long.MIN_VALUE | (r.w0() & Long.MAX_VALUE);
            out[i] = new Contact(new NodeId(flipTop, r.w1(), r.w2(), r.w3()), "10.0.1." + i, 7000 + i);
        }
        return out;
    }

    @Test
    void heardFrom_fullBucketWhoseOldestAnswers_keepsTheOldest() {
        Contact[] c = sameBucket();
        Kademlia k = node(new LookupTest.FakeTransport() {
            @Override
            public Mono<Contact> ping(Contact to, Duration timeout) {
                return Mono.just(to);
            }
        });
        k.responder().onPing(Optional.of(c[0]));
        k.responder().onPing(Optional.of(c[1]));
        k.responder().onPing(Optional.of(c[2]));
        assertThat(k.table().entry(c[0].id())).isPresent();
        assertThat(k.table().entry(c[2].id())).isEmpty();
    }

    @Test
    void claimedSender_isAddedOnlyAfterItAnswersAtTheClaimedAddress() {
        Contact[] c = sameBucket();
        Kademlia liar = node(new LookupTest.FakeTransport() { });
        liar.responder().onPing(Optional.of(c[0]));
        assertThat(liar.table().entry(c[0].id())).as("nobody answered at the claimed address").isEmpty();

        Kademlia honest = node(new LookupTest.FakeTransport() {
            @Override
            public Mono<Contact> ping(Contact to, Duration timeout) {
                return Mono.just(to);
            }
        });
        honest.responder().onPing(Optional.of(c[0]));
        assertThat(honest.table().entry(c[0].id())).isPresent();
        // A request claiming c[0] lives elsewhere does not move it.
        honest.responder().onPing(Optional.of(new Contact(c[0].id(), "203.0.113.1", 9)));
        assertThat(honest.table().entry(c[0].id()).orElseThrow().contact()).isEqualTo(c[0]);
    }

    @Test
    void heardFrom_fullBucketWhoseOldestIsGone_takesTheNewcomer() {
        Contact[] c = sameBucket();
        Kademlia k = node(new LookupTest.FakeTransport() {
            @Override
            public Mono<Contact> ping(Contact to, Duration timeout) {
                return Mono.error(new TimeoutException("gone"));
            }
        });
        k.heardFrom(c[0], 1);
        k.heardFrom(c[1], 1);
        k.heardFrom(c[2], 1);
        assertThat(k.table().entry(c[0].id())).isEmpty();
        assertThat(k.table().entry(c[2].id())).isPresent();
        assertThat(k.table().size()).isEqualTo(2);
    }
}
