package io.shardmesh.common.repair;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepairRuleTest {

    static final Duration DELAY = Duration.ofMinutes(15);

    @Test
    void due_oneMissingOf4Plus2_waitsTheDelay_twoMissingDoNot() {
        assertThat(RepairRule.due(6, 4, 2, 0, 1, DELAY)).isFalse();
        assertThat(RepairRule.due(5, 4, 2, 0, DELAY.toMillis() - 1, DELAY)).isFalse();
        assertThat(RepairRule.due(5, 4, 2, 0, DELAY.toMillis(), DELAY)).isTrue();
        assertThat(RepairRule.due(4, 4, 2, 0, 1, DELAY)).isTrue();
    }

    @Test
    void urgentAt_kPlusOneUnlessOnlyOneIsMissing_andAlwaysAtK() {
        assertThat(RepairRule.urgentAt(4, 2)).isEqualTo(4);
        assertThat(RepairRule.urgentAt(4, 1)).isEqualTo(4);
        assertThat(RepairRule.urgentAt(4, 3)).isEqualTo(5);
        assertThat(RepairRule.urgentAt(10, 4)).isEqualTo(11);
        assertThat(RepairRule.urgentAt(1, 0)).isEqualTo(1);
    }

    @Test
    void rank_everyHolderAgrees_onOneOrder() {
        ContentId first = ContentId.random();
        List<Contact> holders = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            holders.add(new Contact(NodeId.random(), "10.0.0." + i, 7000));
        }
        List<List<Contact>> live = holders.stream().map(List::of).toList();
        List<Contact> order = RepairRule.order(first, live);
        assertThat(order).hasSize(6);
        for (int i = 0; i < order.size(); i++) {
            assertThat(RepairRule.rank(order.get(i).id(), first, live)).isEqualTo(i);
        }
        for (int i = 1; i < order.size(); i++) {
            assertThat(first.compareDistance(order.get(i - 1).id(), order.get(i).id())).isNegative();
        }
        assertThat(RepairRule.rank(NodeId.random(), first, live)).isEqualTo(-1);
    }

    @Test
    void repairsNow_rankR_afterRBackoffs() {
        Duration backoff = Duration.ofMinutes(10);
        assertThat(RepairRule.repairsNow(0, 1000, 1000, backoff)).isTrue();
        assertThat(RepairRule.repairsNow(2, 0, 2 * backoff.toMillis() - 1, backoff)).isFalse();
        assertThat(RepairRule.repairsNow(2, 0, 2 * backoff.toMillis(), backoff)).isTrue();
        assertThat(RepairRule.repairsNow(-1, 0, Long.MAX_VALUE / 2, backoff)).isFalse();
    }

    @Test
    void surplus_theFartherCopyIsDropped_neverTheLastOnAHost() {
        ContentId shard = ContentId.random();
        ContentId other = ContentId.random();
        Contact a = new Contact(NodeId.random(), "10.0.0.1", 7000);
        Contact b = new Contact(NodeId.random(), "10.0.0.2", 7000);
        Contact c = new Contact(NodeId.random(), "10.0.0.3", 7000);
        Contact near = shard.compareDistance(a.id(), b.id()) < 0 ? a : b;
        Contact far = near == a ? b : a;
        List<List<Contact>> live = List.of(List.of(a, b), List.of(c));
        assertThat(RepairRule.surplus(far.id(), List.of(shard, other), live)).containsExactly(shard);
        assertThat(RepairRule.surplus(near.id(), List.of(shard, other), live)).isEmpty();
        // The nearer copy's holder also holds another shard of the stripe: dropping the far copy
        // would leave the stripe on fewer hosts, so it stays.
        List<List<Contact>> crowded = List.of(List.of(a, b), List.of(near));
        assertThat(RepairRule.surplus(far.id(), List.of(shard, other), crowded)).isEmpty();
        // ... and the crowded holder drops its copy of the shard the far one holds alone, never both.
        assertThat(RepairRule.surplus(near.id(), List.of(shard, other), crowded)).containsExactly(shard);
    }

    @Test
    void missing_aShardWithoutALiveHolder() {
        Contact a = new Contact(NodeId.random(), "10.0.0.1", 7000);
        assertThat(RepairRule.missing(List.of(List.of(a), List.of()))).containsExactly(1);
    }

    @Test
    void missing_twoShardsOnOneHost_oneOfThemIsMissing() {
        Contact a = new Contact(NodeId.random(), "10.0.0.1", 7000);
        Contact b = new Contact(NodeId.random(), "10.0.0.2", 7000);
        assertThat(RepairRule.missing(List.of(List.of(a), List.of(a), List.of(b)))).containsExactly(1);
        // Two node ids on one address are one process: they go down together.
        Contact a2 = new Contact(NodeId.random(), "10.0.0.1", 7000);
        assertThat(RepairRule.missing(List.of(List.of(a), List.of(a2), List.of(b)))).containsExactly(1);
    }

    @Test
    void missing_identicalShards_countOncePerHost() {
        // An all-zero stripe: every shard has one chunk id, so every holder confirms every shard.
        List<Contact> hosts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            hosts.add(new Contact(NodeId.random(), "10.0.0." + i, 7000));
        }
        List<List<Contact>> live = java.util.Collections.nCopies(6, hosts);
        assertThat(RepairRule.missing(live)).containsExactly(5);
    }

    @Test
    void missing_movesAnEarlierShardAlong_toGiveALaterOneAHost() {
        Contact a = new Contact(NodeId.random(), "10.0.0.1", 7000);
        Contact b = new Contact(NodeId.random(), "10.0.0.2", 7000);
        // Shard 0 is on a and b, shard 1 on a only: a first-come choice would give both to a.
        assertThat(RepairRule.missing(List.of(List.of(a, b), List.of(a)))).isEmpty();
        assertThat(RepairRule.missing(List.of(List.of(a, b), List.of(a), List.of(b)))).containsExactly(2);
    }
}
