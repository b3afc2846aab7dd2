package io.shardmesh.common.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedundancyTest {

    private static List<Contact> hosts(int n) {
        List<Contact> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Contact(NodeId.random(), "10.0.0." + i, 7000));
        }
        return out;
    }

    private static List<List<Contact>> onePerShard(List<Contact> holders) {
        return holders.stream().map(c -> c == null ? List.<Contact>of() : List.of(c)).toList();
    }

    @Test
    void sixShardsOnSixHosts_survivesM() {
        List<Contact> h = hosts(6);
        assertThat(Redundancy.lossesSurvivable(onePerShard(h), 4)).isEqualTo(2);
        assertThat(Redundancy.lossesSurvivable(h, 4)).isEqualTo(2);
    }

    @Test
    void aHostWithTwoShards_costsOneLoss() {
        List<Contact> h = hosts(5);
        List<Contact> holders = new ArrayList<>(h);
        holders.add(h.get(0));
        assertThat(Redundancy.lossesSurvivable(onePerShard(holders), 4)).isEqualTo(1);
    }

    @Test
    void fewerThanKHeld_isMinusOne_exactlyK_isZero() {
        List<Contact> h = hosts(4);
        List<Contact> three = new ArrayList<>(h.subList(0, 3));
        three.add(null);
        three.add(null);
        three.add(null);
        assertThat(Redundancy.lossesSurvivable(onePerShard(three), 4)).isEqualTo(-1);
        assertThat(Redundancy.lossesSurvivable(onePerShard(h), 4)).isZero();
    }

    @Test
    void identicalShardsOnFiveHosts_survivesAllButOne_cappedAtM() {
        // An all-zero stripe: one chunk id held by five hosts stands for all six shards.
        List<List<Contact>> live = Collections.nCopies(6, hosts(5));
        assertThat(Redundancy.lossesSurvivable(live, 4)).isEqualTo(2);
        assertThat(Redundancy.spread(live).stream().filter(c -> c != null).count()).isEqualTo(5);
    }

    @Test
    void spareCopies_areFoundByTheExactSearch_notByCountingHosts() {
        // Shards 0-3 each on one host; shards 4 and 5 both on hosts x and y. Losing x and y
        // costs two shards, losing any two single hosts costs two: 2. Losing a single host and
        // x costs one. Without the spare copies of 4 and 5 the answer is also 2; with shard 3
        // moved onto x as well (x holds 3, 4, 5), losing x and y costs three: 1.
        List<Contact> h = hosts(6);
        Contact x = h.get(4);
        Contact y = h.get(5);
        List<List<Contact>> live = List.of(List.of(h.get(0)), List.of(h.get(1)), List.of(h.get(2)), List.of(h.get(3)),
                List.of(x, y), List.of(x, y));
        assertThat(Redundancy.lossesSurvivable(live, 4)).isEqualTo(2);
        List<List<Contact>> crowded = List.of(List.of(h.get(0)), List.of(h.get(1)), List.of(h.get(2)), List.of(x),
                List.of(x, y), List.of(x, y));
        assertThat(Redundancy.lossesSurvivable(crowded, 4)).isEqualTo(1);
    }

    @Test
    void manyHolders_stillAnswers() {
        // 16+8 with every shard on 40 hosts: far past the exact search, the greedy bound is used.
        List<Contact> h = hosts(40);
        List<List<Contact>> live = Collections.nCopies(24, h);
        assertThat(Redundancy.lossesSurvivable(live, 16)).isEqualTo(8);
    }
}
