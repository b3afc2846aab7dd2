package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One suite, several transports: a network of nodes that all join through the first one, then
 * iterative lookups for random keys must find the true k closest live nodes (checked against a
 * brute-force sort of every live id) for at least 99% of the keys, with and without 20% of the
 * nodes silently dead. Subclasses say how a network is built and how big.
 */
public abstract class DhtNetworkSuite {

    /** A network under test. */
    public interface Network extends AutoCloseable {
        Member add(List<HostPort> bootstrap);

        List<Member> members();

        @Override
        void close();
    }

    /** One node in it. */
    public interface Member {
        Kademlia kademlia();

        HostPort address();

        void kill();

        boolean alive();
    }

    private Network network;

    protected abstract Network newNetwork(KademliaConfig config);

    protected abstract int nodes();

    protected abstract int lookups();

    /** Lookups in the dead-node variant (each may wait out a few deadlines on a real transport). */
    protected int lookupsWithDeadNodes() {
        return lookups();
    }

    protected KademliaConfig config() {
        return KademliaConfig.defaults();
    }

    @AfterEach
    void closeNetwork() {
        if (network != null) {
            network.close();
        }
    }

    private Network build() {
        network = newNetwork(config());
        Member first = network.add(List.of());
        for (int i = 1; i < nodes(); i++) {
            network.add(List.of(first.address()));
        }
        return network;
    }

    @Test
    void lookupNode_randomKeys_findTheTrueKClosest() {
        report("all nodes up", build(), 0.0, lookups());
    }

    @Test
    void lookupNode_withTwentyPercentSilentlyDead_findTheTrueKClosestLiveNodes() {
        Network n = build();
        List<Member> shuffled = new ArrayList<>(n.members().subList(1, n.members().size()));
        Collections.shuffle(shuffled, new Random(7));
        shuffled.subList(0, nodes() / 5).forEach(Member::kill);
        // One refresh interval of a running network: every live node refreshes each of its
        // buckets with a lookup into it (as the hourly bucket refresh does), and so notices the
        // contacts that stopped answering. Lookups measured after that are what users of a
        // network with 20% dead nodes get.
        long rpcs = reactor.core.publisher.Flux.fromIterable(n.members())
                .filter(Member::alive)
                .flatMap(m -> reactor.core.publisher.Flux.fromIterable(m.kademlia().table().staleBuckets(Long.MAX_VALUE))
                        .concatMap(b -> m.kademlia().lookupNode(m.kademlia().table().randomIdInBucket(b)))
                        .map(Lookup.Result::rpcs)
                        .reduce(0L, (a, x) -> a + x), 8)
                .reduce(0L, (a, b) -> a + b)
                .block(Duration.ofSeconds(600));
        System.out.printf("DHT %s: one bucket-refresh round after the failures cost %d RPCs (%.1f per live node)%n",
                getClass().getSimpleName(), rpcs, rpcs / (nodes() * 0.8));
        report("20% silently dead", n, 0.2, lookupsWithDeadNodes());
    }

    @Test
    void publishAndLookupValue_fromAnyNode_findsTheRecord() {
        Network n = build();
        Random r = new Random(3);
        for (int i = 0; i < 10; i++) {
            Member publisher = n.members().get(r.nextInt(n.members().size()));
            Member reader = n.members().get(r.nextInt(n.members().size()));
            ContentId key = ContentId.random();
            DhtRecord rec = DhtRecord.sign(keyOf(publisher), key, new DhtRecord.Value(("v" + i).getBytes()),
                    System.currentTimeMillis(), Duration.ofHours(1));
            int stored = publisher.kademlia().publish(rec).block(Duration.ofSeconds(60));
            assertThat(stored).isGreaterThanOrEqualTo(Math.min(config().k(), nodes()) / 2);
            Lookup.Result found = reader.kademlia().lookupValue(key, Optional.of(RecordKind.VALUE), true)
                    .block(Duration.ofSeconds(60));
            assertThat(found.records()).as("value %d read from another node", i).containsExactly(rec);
        }
    }

    /** Tests reach into a member's key only to sign records as that node would. */
    protected abstract io.shardmesh.common.crypto.NodeKey keyOf(Member m);

    private void report(String label, Network n, double deadShare, int lookups) {
        List<Member> live = n.members().stream().filter(Member::alive).toList();
        Random r = new Random(11);
        int correct = 0;
        List<Integer> hops = new ArrayList<>();
        List<Integer> rpcs = new ArrayList<>();
        int k = config().k();
        long started = System.nanoTime();
        for (int i = 0; i < lookups; i++) {
            Member from = live.get(r.nextInt(live.size()));
            ContentId target = ContentId.random();
            Lookup.Result res = from.kademlia().lookupNode(target).block(Duration.ofSeconds(120));
            Set<NodeId> truth = live.stream()
                    .map(m -> m.kademlia().id())
                    .filter(id -> !id.equals(from.kademlia().id()))
                    .sorted(Key256.closestTo(target))
                    .limit(k)
                    .collect(Collectors.toSet());
            Set<NodeId> got = res.closest().stream().map(Contact::id).collect(Collectors.toCollection(HashSet::new));
            if (got.equals(truth)) {
                correct++;
            }
            hops.add(res.hops());
            rpcs.add(res.rpcs());
        }
        double share = correct / (double) lookups;
        long meanMillis = (System.nanoTime() - started) / 1_000_000 / lookups;
        System.out.printf("DHT %s (%s, %d nodes, %.0f%% dead, k=%d, alpha=%d): %d/%d lookups found the true %d closest (%.1f%%);"
                        + " hops median %d p99 %d; RPCs median %d p99 %d; %d ms per lookup%n",
                getClass().getSimpleName(), label, nodes(), deadShare * 100, k, config().alpha(), correct, lookups, k,
                share * 100, pct(hops, 50), pct(hops, 99), pct(rpcs, 50), pct(rpcs, 99), meanMillis);
        assertThat(share).as("share of lookups that found the true k closest").isGreaterThanOrEqualTo(0.99);
    }

    private static int pct(List<Integer> values, int p) {
        List<Integer> s = new ArrayList<>(values);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }
}
