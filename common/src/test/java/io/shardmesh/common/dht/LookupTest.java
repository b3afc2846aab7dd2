package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import io.shardmesh.common.id.NodeId;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.scheduler.VirtualTimeScheduler;

class LookupTest {

    private final NodeId self = NodeId.random();
    private final KademliaConfig config = KademliaConfig.defaults().withK(5);

    private static Contact contact(NodeId id) {
        return new Contact(id, "10.0.0.1", 7000);
    }

    @Test
    void nodes_replyStuffedWithDuplicatesSelfAndHundredsOfContacts_staysBoundedAndSane() {
        Contact honest = contact(NodeId.random());
        List<Contact> junk = new ArrayList<>();
        Contact repeated = contact(NodeId.random());
        for (int i = 0; i < 300; i++) {
            junk.add(i % 3 == 0 ? repeated : i % 3 == 1 ? contact(self) : contact(NodeId.random()));
        }
        AtomicInteger asked = new AtomicInteger();
        DhtTransport t = new FakeTransport() {
            @Override
            public Mono<List<Contact>> findNode(Contact to, Key256 target, Duration timeout) {
                asked.incrementAndGet();
                return Mono.just(to.equals(honest) ? junk : List.of());
            }
        };
        Lookup.Result r = Lookup.nodes(NodeId.random(), self, List.of(honest), t, config, Clock.systemUTC(),
                Schedulers.parallel(), ContactListener.NONE, id -> false).block(Duration.ofSeconds(10));
        // From the stuffed reply, at most maxContactsPerReply (= k) distinct non-self contacts
        // were taken: the honest node plus at most k of them were ever asked.
        assertThat(asked.get()).isLessThanOrEqualTo(1 + config.k());
        assertThat(r.closest()).hasSizeLessThanOrEqualTo(config.k()).doesNotContain(contact(self));
        assertThat(r.closest().stream().map(Contact::id).distinct().count()).isEqualTo(r.closest().size());
        assertThat(r.complete()).isTrue();
    }

    @Test
    void nodes_everyPeerSilent_endsAtTheBudgetWithWhatItHas() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        KademliaConfig slow = config.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30));
        DhtTransport t = new FakeTransport() {
            @Override
            public Mono<List<Contact>> findNode(Contact to, Key256 target, Duration timeout) {
                return Mono.never();
            }
        };
        List<Lookup.Result> out = new ArrayList<>();
        Lookup.nodes(NodeId.random(), self, List.of(contact(NodeId.random())), t, slow, Clock.systemUTC(), vts,
                ContactListener.NONE, id -> false).subscribe(out::add);
        vts.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(out).as("still waiting before the budget runs out").isEmpty();
        vts.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(out).singleElement().satisfies(r -> {
            assertThat(r.complete()).isFalse();
            assertThat(r.closest()).isEmpty();
            assertThat(r.rpcs()).isEqualTo(1);
        });
    }

    @Test
    void nodes_failedPeers_areReportedAndSkipped() {
        Contact dead = contact(NodeId.random());
        Contact alive = contact(NodeId.random());
        List<Contact> failed = new ArrayList<>();
        DhtTransport t = new FakeTransport() {
            @Override
            public Mono<List<Contact>> findNode(Contact to, Key256 target, Duration timeout) {
                return to.equals(dead) ? Mono.error(new TimeoutException()) : Mono.just(List.of(dead));
            }
        };
        ContactListener l = new ContactListener() {
            @Override
            public void responded(Contact contact, long rttMillis) {
            }

            @Override
            public void failed(Contact contact) {
                failed.add(contact);
            }
        };
        Lookup.Result r = Lookup.nodes(NodeId.random(), self, List.of(alive, dead), t, config, Clock.systemUTC(),
                Schedulers.parallel(), l, id -> false).block(Duration.ofSeconds(10));
        assertThat(r.closest()).containsExactly(alive);
        assertThat(failed).containsExactly(dead);
    }

    @Test
    void value_badlySignedRecordsFromAPeer_areDropped() {
        NodeKey publisher = NodeKey.generate();
        ContentId key = ContentId.random();
        DhtRecord good = DhtRecord.sign(publisher, key, new DhtRecord.Value("good".getBytes()), System.currentTimeMillis(),
                Duration.ofHours(1));
        DhtRecord forged = new DhtRecord(key, publisher.id(), publisher.publicKeyRaw(), good.publishedAtUnixMs() + 1,
                good.expiresAtUnixMs(), new DhtRecord.Value("evil".getBytes()), good.signature());
        DhtRecord otherKey = DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value("x".getBytes()),
                System.currentTimeMillis(), Duration.ofHours(1));
        DhtTransport t = new FakeTransport() {
            @Override
            public Mono<ValueReply> findValue(Contact to, ContentId k, Optional<RecordKind> kind, Duration timeout) {
                return Mono.just(new ValueReply(List.of(forged, good, otherKey), List.of()));
            }
        };
        Lookup.Result r = Lookup.value(key, Optional.empty(), true, self, List.of(contact(NodeId.random())), t, config,
                Clock.systemUTC(), Schedulers.parallel(), ContactListener.NONE, id -> false).block(Duration.ofSeconds(10));
        assertThat(r.records()).containsExactly(good);
    }

    /** Every call fails unless a test overrides it. */
    abstract static class FakeTransport implements DhtTransport {
        @Override
        public Mono<Contact> ping(Contact to, Duration timeout) {
            return Mono.error(new TimeoutException());
        }

        @Override
        public Mono<Contact> ping(String host, int port, Duration timeout) {
            return Mono.error(new TimeoutException());
        }

        @Override
        public Mono<List<Contact>> findNode(Contact to, Key256 target, Duration timeout) {
            return Mono.error(new TimeoutException());
        }

        @Override
        public Mono<ValueReply> findValue(Contact to, ContentId key, Optional<RecordKind> kind, Duration timeout) {
            return Mono.error(new TimeoutException());
        }

        @Override
        public Mono<Boolean> store(Contact to, DhtRecord record, Duration timeout) {
            return Mono.error(new TimeoutException());
        }

        @Override
        public Mono<List<Contact>> exchangePeers(Contact to, List<Contact> sample, Duration timeout) {
            return Mono.error(new TimeoutException());
        }
    }
}
