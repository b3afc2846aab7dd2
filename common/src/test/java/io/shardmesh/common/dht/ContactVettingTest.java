package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.NodeId;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Who gets into the routing table: loopback contacts only among loopback nodes; an address holds one identity. */
class ContactVettingTest {

    private final NodeKey key = NodeKey.generate();

    /** Everyone answers pings, as themselves. */
    private static final DhtTransport ANSWERS = new LookupTest.FakeTransport() {
        @Override
        public Mono<Contact> ping(Contact to, Duration timeout) {
            return Mono.just(to);
        }
    };

    private Kademlia node(String host) {
        Contact self = new Contact(key.id(), host, 7000);
        return new Kademlia(key, () -> self, KademliaConfig.defaults(), ANSWERS, new InMemoryRecordStore(),
                Clock.systemUTC(), Schedulers.parallel(), Schedulers.immediate(), ContactListener.NONE);
    }

    @Test
    void heardFrom_loopbackContact_isRefusedByANodeOnTheNetwork() {
        Kademlia onNetwork = node("192.0.2.10");
        Contact local = new Contact(NodeId.random(), "127.0.0.1", 7001);

        onNetwork.heardFrom(local, 1);
        onNetwork.responder().onPing(Optional.of(new Contact(NodeId.random(), "127.0.0.2", 7002)));

        // It would hand them on in its answers, and nobody else could dial them.
        assertThat(onNetwork.table().size()).isZero();
    }

    @Test
    void heardFrom_loopbackContact_isTakenByANodeOnLoopback() {
        Kademlia onLoopback = node("127.0.0.1");

        onLoopback.heardFrom(new Contact(NodeId.random(), "127.0.0.2", 7001), 1);

        assertThat(onLoopback.table().size()).isEqualTo(1);
    }

    @Test
    void replaced_anAddressAnsweringAsAnotherNode_dropsTheOldContactAndLearnsTheNewOne() {
        Kademlia k = node("192.0.2.10");
        Contact old = new Contact(NodeId.random(), "192.0.2.20", 7000);
        k.heardFrom(old, 1);
        NodeId rebuilt = NodeId.random();

        k.contactEvents().replaced(old, Optional.of(rebuilt));

        assertThat(k.table().entry(old.id())).isEmpty();
        assertThat(k.table().entry(rebuilt)).map(e -> e.contact().address()).contains(old.address());
        assertThat(k.suspect(old)).isTrue();
    }
}
