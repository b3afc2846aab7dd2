package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.id.NodeId;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The routing table's diversity rule: a few contacts per /24 (or /48) per bucket and per table. */
class RoutingTableDiversityTest {

    private static final NodeId SELF = new NodeId(0, 0, 0, 0);

    /** A random id in bucket {@code bucket} of SELF's table. */
    private static NodeId idInBucket(int bucket, Random r) {
        long[] w = new long[4];
        int word = 3 - bucket / 64;
        int bit = bucket % 64;
        w[word] = (1L << bit) | (bit == 0 ? 0 : r.nextLong() & ((1L << bit) - 1));
        for (int i = word + 1; i < 4; i++) {
            w[i] = r.nextLong();
        }
        return new NodeId(w[0], w[1], w[2], w[3]);
    }

    @Test
    void sybilIdsFromOneSlash24_fillAtMostTheCap_andOtherNetworksStillGetIn() {
        RoutingTable t = new RoutingTable(SELF, 20);
        Random r = new Random(24);
        // An attacker with one /24 mints ids for the buckets that matter most (the far ones fill first).
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            int bucket = 255 - (i % 16);
            var c = new Contact(idInBucket(bucket, r), "203.0.113." + (i % 250 + 1), 4000 + i);
            if (t.observe(c, i) instanceof RoutingTable.TooManyFromNetwork tooMany) {
                assertThat(tooMany.network()).isEqualTo("203.0.113.0/24");
                refused++;
            }
        }
        assertThat(t.size()).isEqualTo(RoutingTable.Diversity.DEFAULT.perTable());
        assertThat(refused).isEqualTo(2000 - t.size());
        assertThat(t.buckets()).allSatisfy(b -> assertThat(b.size()).isLessThanOrEqualTo(2));
        assertThat(t.buckets()).allSatisfy(b -> assertThat(b.replacements()).isZero());
        // Honest nodes on other networks are not crowded out: the bucket's other k - 2 places are theirs.
        int sybilsThere = t.buckets().stream().filter(b -> b.index() == 255).findFirst().orElseThrow().size();
        for (int i = 0; i < 20 - sybilsThere; i++) {
            var honest = new Contact(idInBucket(255, r), "198.51." + i + ".7", 7070);
            assertThat(t.observe(honest, 5000)).isInstanceOf(RoutingTable.Added.class);
        }
    }

    @Test
    void aContactThatLeaves_makesRoomForAnotherOfItsNetwork() {
        RoutingTable t = new RoutingTable(SELF, 20, new RoutingTable.Diversity(1, 1));
        Random r = new Random(7);
        var first = new Contact(idInBucket(250, r), "2001:db8:1:2::1", 7070);
        var second = new Contact(idInBucket(251, r), "2001:db8:1:ffff::9", 7070);
        assertThat(t.observe(first, 1)).isInstanceOf(RoutingTable.Added.class);
        assertThat(t.observe(second, 2)).isInstanceOfSatisfying(RoutingTable.TooManyFromNetwork.class,
                tm -> assertThat(tm.network()).isEqualTo("2001:0db8:0001::/48"));
        // Another /48 is another network.
        assertThat(t.observe(new Contact(idInBucket(251, r), "2001:db8:2::1", 7070), 3)).isInstanceOf(RoutingTable.Added.class);
        t.remove(first.id());
        assertThat(t.observe(second, 4)).isInstanceOf(RoutingTable.Added.class);
    }

    @Test
    void loopbackPrivateAndLinkLocal_areNeverCapped() {
        RoutingTable t = new RoutingTable(SELF, 20, new RoutingTable.Diversity(1, 1));
        Random r = new Random(3);
        String[] hosts = {"127.0.0.", "10.0.0.", "192.168.1.", "172.16.0.", "169.254.0.", "100.64.0."};
        for (String prefix : hosts) {
            for (int i = 1; i <= 5; i++) {
                assertThat(t.observe(new Contact(idInBucket(255, r), prefix + i, 7000), i))
                        .as(prefix + i).isNotInstanceOf(RoutingTable.TooManyFromNetwork.class);
            }
        }
        assertThat(t.size()).isEqualTo(20);
        assertThat(NetworkGroup.of("fd12:3456::1")).isEmpty();
        assertThat(NetworkGroup.of("::1")).isEmpty();
        assertThat(NetworkGroup.of("[2001:db8::1]")).contains("2001:0db8:0000::/48");
        assertThat(NetworkGroup.of("node.example.org")).isEqualTo(Optional.of("name node.example.org"));
    }
}
