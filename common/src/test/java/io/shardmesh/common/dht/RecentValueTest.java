package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.testing.MutableClock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * The lookup cache: a hot key costs one iterative lookup per cache age, concurrent readers share
 * one, expired records are never served, and a newer record published from the reader's own
 * node is seen at once. Counted in RPCs, not timed.
 */
class RecentValueTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final Duration AGE = Duration.ofSeconds(30);

    final MutableClock clock = new MutableClock();
    InMemoryNetwork net;
    InMemoryNetwork.Keyed publisher;
    InMemoryNetwork.Keyed reader;
    ContentId key;

    @BeforeEach
    void network() {
        net = new InMemoryNetwork(KademliaConfig.defaults().withLookupCache(AGE), clock);
        DhtNetworkSuite.Member first = net.add(List.of());
        for (int i = 1; i < 60; i++) {
            net.add(List.of(first.address()));
        }
        for (DhtNetworkSuite.Member m : net.members()) {
            m.kademlia().join(List.of(), List.of(first.address())).block(WAIT);
        }
        key = ContentId.random();
        List<DhtNetworkSuite.Member> byDistance = net.members().stream()
                .sorted(Comparator.comparing(m -> m.kademlia().id(), (a, b) -> key.compareDistance(a, b))).toList();
        // The reader is not among the key's closest nodes: it holds no copy and must look it up.
        publisher = (InMemoryNetwork.Keyed) byDistance.get(byDistance.size() - 1);
        reader = (InMemoryNetwork.Keyed) byDistance.get(byDistance.size() - 2);
    }

    private int publish(InMemoryNetwork.Keyed by, String value, Duration ttl) {
        DhtRecord r = DhtRecord.sign(by.key(), key, new DhtRecord.Value(value.getBytes()), clock.millis(), ttl);
        return by.kademlia().publish(r).block(WAIT);
    }

    private String read() {
        List<DhtRecord> found = reader.kademlia().recentValue(key, Optional.of(RecordKind.VALUE)).block(WAIT);
        return found.stream().max(Comparator.comparingLong(DhtRecord::publishedAtUnixMs))
                .map(r -> new String(((DhtRecord.Value) r.payload()).bytes())).orElse(null);
    }

    @Test
    void hotKey_oneLookupPerCacheAge_andConcurrentReadersShareIt() {
        assertThat(publish(publisher, "v1", Duration.ofHours(1))).isPositive();
        long before = net.calls();
        assertThat(read()).isEqualTo("v1");
        long firstLookup = net.calls() - before;
        assertThat(firstLookup).as("RPCs of the first read").isPositive();

        long hot = net.calls();
        for (int i = 0; i < 100; i++) {
            assertThat(read()).isEqualTo("v1");
        }
        assertThat(net.calls() - hot).as("RPCs of 100 reads within the cache age").isZero();

        clock.advance(AGE.plusSeconds(1));
        long stale = net.calls();
        List<String> together = Flux.range(0, 50).flatMap(i -> reader.kademlia().recentValue(key, Optional.of(RecordKind.VALUE))
                .map(l -> l.size())).map(String::valueOf).collectList().block(WAIT);
        assertThat(together).hasSize(50).allMatch("1"::equals);
        long shared = net.calls() - stale;
        assertThat(shared).as("RPCs of 50 concurrent reads after the age").isPositive().isLessThanOrEqualTo(2 * firstLookup);
        System.out.printf("LOOKUP-CACHE first read %d RPCs; 100 reads within %d s: 0 RPCs; 50 concurrent reads after it: %d RPCs%n",
                firstLookup, AGE.toSeconds(), shared);
    }

    @Test
    void expiredRecords_areNeverServed_fromTheCache() {
        publish(publisher, "short-lived", Duration.ofSeconds(5));
        assertThat(read()).isEqualTo("short-lived");
        clock.advance(Duration.ofSeconds(6));
        assertThat(read()).as("read after the record expired, within the cache age").isNull();
    }

    @Test
    void newerValue_publishedFromTheReader_isSeenAtOnce_oneFromElsewhere_afterTheAge() {
        publish(publisher, "v1", Duration.ofHours(1));
        assertThat(read()).isEqualTo("v1");
        clock.advance(Duration.ofMillis(10));
        publish(reader, "v2", Duration.ofHours(1));
        assertThat(read()).as("the reader's own newer publication").isEqualTo("v2");

        clock.advance(Duration.ofMillis(10));
        publish(publisher, "v3", Duration.ofHours(1));
        assertThat(read()).as("a newer value published elsewhere, within the age").isEqualTo("v2");
        clock.advance(AGE.plusSeconds(1));
        assertThat(read()).isEqualTo("v3");
    }

    @Test
    void nothingFound_isNotKept() {
        assertThat(read()).isNull();
        publish(publisher, "late", Duration.ofHours(1));
        assertThat(read()).as("a value published after a read that found nothing").isEqualTo("late");
    }
}
