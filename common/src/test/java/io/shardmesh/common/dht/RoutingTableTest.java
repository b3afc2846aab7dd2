package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.id.NodeId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class RoutingTableTest {

    private static final NodeId SELF = new NodeId(0, 0, 0, 0);

    /** A contact whose id has only bit {@code bit} (from the least significant end) plus {@code low}. */
    private static Contact inBucket(int bucket, long low) {
        long[] w = new long[4];
        w[3 - bucket / 64] |= 1L << (bucket % 64);
        w[3] |= bucket >= 8 ? low & 0xff : 0;
        return new Contact(new NodeId(w[0], w[1], w[2], w[3]), "10." + bucket + ".0." + (low & 0xff), 7000 + (int) (low & 0xff));
    }

    @Test
    void observe_newIdentityAtAKnownAddress_replacesTheOldContact() {
        RoutingTable t = new RoutingTable(SELF, 20);
        Contact old = inBucket(200, 3);
        t.observe(old, 1);
        // The node was rebuilt with a new key on the same address, and answered from there.
        Contact rebuilt = new Contact(inBucket(201, 4).id(), old.host(), old.port());

        t.observe(rebuilt, 2);

        assertThat(t.entry(old.id())).isEmpty();
        assertThat(t.entry(rebuilt.id())).isPresent();
        assertThat(t.size()).isEqualTo(1);
    }

    @Test
    void observe_placesContactsInTheBucketOfTheirHighestDifferingBit() {
        RoutingTable t = new RoutingTable(SELF, 20);
        assertThat(t.observe(inBucket(0, 0), 1)).isInstanceOf(RoutingTable.Added.class);
        assertThat(t.observe(inBucket(200, 3), 1)).isInstanceOf(RoutingTable.Added.class);
        assertThat(t.buckets()).extracting(RoutingTable.BucketInfo::index).containsExactly(0, 200);
        assertThat(t.observe(new Contact(SELF, "127.0.0.1", 1), 1)).isInstanceOf(RoutingTable.Ignored.class);
    }

    @Test
    void observe_fullBucket_keepsTheOldAndAsksToPingTheLeastRecentlySeen() {
        RoutingTable t = new RoutingTable(SELF, 3);
        List<Contact> cs = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            cs.add(inBucket(100, i));
            t.observe(cs.get(i - 1), i);
        }
        // Seeing the first one again moves it to the tail: the second is now the oldest.
        assertThat(t.observe(cs.get(0), 10)).isInstanceOf(RoutingTable.Updated.class);
        Contact newcomer = inBucket(100, 9);
        RoutingTable.Observed o = t.observe(newcomer, 11);
        assertThat(o).isEqualTo(new RoutingTable.BucketFull(newcomer, cs.get(1)));
        assertThat(t.entry(newcomer.id())).isEmpty();
        assertThat(t.buckets().get(0).replacements()).isEqualTo(1);
    }

    @Test
    void remove_promotesTheFreshestReplacement() {
        RoutingTable t = new RoutingTable(SELF, 2);
        Contact a = inBucket(50, 1);
        Contact b = inBucket(50, 2);
        Contact c = inBucket(50, 3);
        Contact d = inBucket(50, 4);
        t.observe(a, 1);
        t.observe(b, 2);
        t.observe(c, 3);
        t.observe(d, 4);
        t.remove(a.id());
        assertThat(t.entry(d.id())).isPresent();
        assertThat(t.entry(c.id())).isEmpty();
        assertThat(t.size()).isEqualTo(2);
    }

    @Test
    void failed_withoutReplacements_evictsOnlyAfterMaxFailuresInARow() {
        RoutingTable t = new RoutingTable(SELF, 20);
        Contact a = inBucket(30, 1);
        t.observe(a, 1);
        assertThat(t.failed(a, 3)).isFalse();
        assertThat(t.failed(a, 3)).isFalse();
        assertThat(t.entry(a.id()).orElseThrow().failures()).isEqualTo(2);
        // Hearing from it again forgives the failures.
        t.observe(a, 5);
        assertThat(t.entry(a.id()).orElseThrow().failures()).isZero();
        t.failed(a, 3);
        t.failed(a, 3);
        assertThat(t.failed(a, 3)).isTrue();
        assertThat(t.size()).isZero();
    }

    @Test
    void failed_withAReplacementWaiting_evictsAtOnce() {
        RoutingTable t = new RoutingTable(SELF, 1);
        Contact a = inBucket(30, 1);
        Contact b = inBucket(30, 2);
        t.observe(a, 1);
        t.observe(b, 2);
        assertThat(t.failed(a, 3)).isTrue();
        assertThat(t.entry(b.id())).isPresent();
    }

    @Test
    void closest_healthyFirst_putsFailedContactsBehindHealthyOnes() {
        RoutingTable t = new RoutingTable(SELF, 20);
        Contact near = inBucket(10, 0);
        Contact far = inBucket(200, 1);
        t.observe(near, 1);
        t.observe(far, 1);
        t.failed(near, 3);
        assertThat(t.closest(SELF, 1)).containsExactly(near);
        assertThat(t.closest(SELF, 1, true)).containsExactly(far);
        assertThat(t.closest(SELF, 2, true)).containsExactly(near, far);
    }

    @Test
    void closest_isTheFirstNOfTheWholeTableSortedByDistance() {
        Random r = new Random(7);
        for (int round = 0; round < 50; round++) {
            NodeId self = NodeId.random();
            RoutingTable t = new RoutingTable(self, 20);
            List<Contact> all = new ArrayList<>();
            // Random ids land in the top buckets; ids near self fill the low ones too.
            for (int i = 0; i < 400; i++) {
                NodeId id = i % 2 == 0 ? NodeId.random() : t.randomIdInBucket(r.nextInt(256));
                Contact c = new Contact(id, "127.0.0.1", 1000 + i);
                if (t.observe(c, 1) instanceof RoutingTable.Added) {
                    all.add(c);
                }
                if (r.nextInt(5) == 0) {
                    t.failed(c, 3);
                }
            }
            for (int q = 0; q < 20; q++) {
                NodeId target = q == 0 ? self : q % 2 == 0 ? NodeId.random() : t.randomIdInBucket(r.nextInt(256));
                int n = 1 + r.nextInt(30);
                List<Contact> inTable = all.stream().filter(c -> t.entry(c.id()).isPresent()).toList();
                List<Contact> byDistance = new ArrayList<>(inTable);
                byDistance.sort((a, c) -> target.compareDistance(a.id(), c.id()));
                assertThat(t.closest(target, n)).containsExactlyElementsOf(byDistance.subList(0, Math.min(n, byDistance.size())));

                List<Contact> healthyFirst = new ArrayList<>(byDistance);
                healthyFirst.sort(Comparator.comparing((Contact c) -> t.entry(c.id()).orElseThrow().failures() != 0));
                List<Contact> expected = new ArrayList<>(healthyFirst.subList(0, Math.min(n, healthyFirst.size())));
                expected.sort((a, c) -> target.compareDistance(a.id(), c.id()));
                assertThat(t.closest(target, n, true)).containsExactlyElementsOf(expected);
            }
        }
    }

    @Test
    void observe_knownIdClaimingANewAddress_keepsTheVerifiedAddress() {
        RoutingTable t = new RoutingTable(SELF, 20);
        Contact real = inBucket(40, 1);
        t.observe(real, 1);
        Contact spoof = new Contact(real.id(), "203.0.113.66", 6666);
        assertThat(t.observe(spoof, 2)).isEqualTo(new RoutingTable.Updated(real));
        assertThat(t.entry(real.id()).orElseThrow().contact()).isEqualTo(real);
        // A failure at the spoofed address does not count against the real entry.
        assertThat(t.failed(spoof, 1)).isFalse();
        assertThat(t.entry(real.id())).isPresent();
    }

    @RepeatedTest(20)
    void randomIdInBucket_landsInThatBucket() {
        NodeId self = NodeId.random();
        RoutingTable t = new RoutingTable(self, 20);
        for (int i : new int[] {0, 1, 62, 63, 64, 65, 127, 128, 191, 192, 254, 255}) {
            assertThat(self.bucketIndex(t.randomIdInBucket(i))).as("bucket %d", i).isEqualTo(i);
        }
    }

    @Test
    void staleBuckets_areThoseFromTheClosestNeighbourOutwardNotTouchedSince() {
        RoutingTable t = new RoutingTable(SELF, 20);
        t.observe(inBucket(250, 1), 100);
        t.observe(inBucket(252, 1), 500);
        assertThat(t.staleBuckets(200)).contains(250, 251, 253, 254, 255).doesNotContain(252, 249);
        t.touch(inBucket(255, 7).id(), 300);
        assertThat(t.staleBuckets(200)).doesNotContain(255);
    }
}
