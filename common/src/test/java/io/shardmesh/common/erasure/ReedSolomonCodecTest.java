package io.shardmesh.common.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReedSolomonCodecTest {

    /**
     * Known answers. Chunk ids in existing manifests are hashes of these exact bytes, so any
     * codec that replaces JavaReedSolomon must produce the same parity or stored files could no
     * longer be repaired. Inputs: data shard i, byte j = (i+1)(j+3)37 + 11i^2 + j^3 (mod 256).
     */
    @ParameterizedTest
    @CsvSource({
        "4, 2, 8, 4, 5e4ddc817c435713",
        "4, 2, 8, 5, a2de7db2e4ccfd5e",
        "10, 4, 4, 10, 3815dbbf",
        "10, 4, 4, 11, 1c7e4c03",
        "10, 4, 4, 12, d9dd7884",
        "10, 4, 4, 13, aff5c4d8",
        "1, 2, 4, 1, 6f95c1f9",
        "1, 2, 4, 2, 6f95c1f9"
    })
    void encode_knownInput_matchesRecordedParity(int k, int m, int shardLength, int index, String parityHex) {
        byte[] stripe = new byte[k * shardLength];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < shardLength; j++) {
                stripe[i * shardLength + j] = (byte) ((i + 1) * (j + 3) * 37 + i * i * 11 + j * j * j);
            }
        }
        byte[][] shards = ErasureCodec.create(k, m).encode(stripe, 0, stripe.length);
        assertThat(HexFormat.of().formatHex(shards[index])).isEqualTo(parityHex);
    }

    @Test
    void encode_replicationWithK1_parityIsCopyOfData() {
        byte[] data = {1, 2, 3, 4, 5};
        byte[][] shards = ErasureCodec.create(1, 3).encode(data, 0, data.length);
        for (byte[] shard : shards) {
            assertThat(shard).isEqualTo(data);
        }
    }

    @ParameterizedTest
    @CsvSource({"4, 2", "10, 4"})
    void decode_everyLossSetOfM_rebuildsBitIdentical(int k, int m) {
        ErasureCodec codec = ErasureCodec.create(k, m);
        byte[] stripe = randomBytes(k * 1000 - 7, k * 31L + m);
        byte[][] shards = codec.encode(stripe, 0, stripe.length);
        List<int[]> lossSets = combinations(k + m, m);
        assertThat(lossSets).hasSize(k == 4 ? 15 : 1001);
        for (int[] lost : lossSets) {
            byte[][] damaged = copyWithout(shards, lost);
            assertThat(codec.decode(damaged, stripe.length)).as("lost %s", java.util.Arrays.toString(lost)).isEqualTo(stripe);
            for (int i = 0; i < k; i++) {
                assertThat(damaged[i]).as("rebuilt data shard %d", i).isEqualTo(shards[i]);
            }
        }
    }

    @Test
    void reconstruct_fillsMissingDataShardsInPlace_andNamesThem() {
        ErasureCodec codec = ErasureCodec.create(4, 2);
        byte[] stripe = randomBytes(4 * 512, 5);
        byte[][] shards = codec.encode(stripe, 0, stripe.length);
        byte[][] whole = shards.clone();
        assertThat(codec.reconstruct(whole, stripe.length)).isEmpty();
        for (int i = 0; i < 6; i++) {
            assertThat(whole[i]).as("untouched shard %d", i).isSameAs(shards[i]);
        }
        byte[][] damaged = copyWithout(shards, new int[] {1, 4});
        byte[] kept = damaged[0];
        assertThat(codec.reconstruct(damaged, stripe.length)).containsExactly(1);
        assertThat(damaged[0]).isSameAs(kept);
        assertThat(damaged[1]).isEqualTo(shards[1]);
    }

    @ParameterizedTest
    @CsvSource({"4, 2", "10, 4"})
    void decode_everyLossSetOfMPlusOne_failsWithUnavailable(int k, int m) {
        ErasureCodec codec = ErasureCodec.create(k, m);
        byte[] stripe = randomBytes(k * 64, 99);
        byte[][] shards = codec.encode(stripe, 0, stripe.length);
        for (int[] lost : combinations(k + m, m + 1)) {
            assertThatThrownBy(() -> codec.decode(copyWithout(shards, lost), stripe.length))
                    .isInstanceOf(MeshException.class)
                    .hasMessageContaining("needs " + k + " of its " + (k + m) + " shards, only " + (k - 1))
                    .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.UNAVAILABLE));
        }
    }

    @Test
    void create_badShapes_areRejectedWithTheValue() {
        assertThatThrownBy(() -> ErasureCodec.create(0, 2)).hasMessageContaining("at least 1, got 0");
        assertThatThrownBy(() -> ErasureCodec.create(4, -1)).hasMessageContaining("at least 0, got -1");
        assertThatThrownBy(() -> ErasureCodec.create(200, 57)).hasMessageContaining("200 + 57 = 257");
        assertThat(ErasureCodec.create(200, 56).totalShards()).isEqualTo(256);
    }

    @Test
    void decode_shardOfWrongLength_isRejected() {
        ErasureCodec codec = ErasureCodec.create(2, 1);
        byte[][] shards = codec.encode(new byte[10], 0, 10);
        shards[1] = new byte[4];
        assertThatThrownBy(() -> codec.decode(shards, 10)).hasMessageContaining("shard 1 has 4 bytes");
    }

    @Test
    void encode_withoutParity_splitsOnly() {
        ErasureCodec codec = ErasureCodec.create(3, 0);
        byte[] data = randomBytes(10, 5);
        byte[][] shards = codec.encode(data, 0, data.length);
        assertThat(shards).hasNumberOfRows(3);
        assertThat(codec.decode(shards, 10)).isEqualTo(data);
    }

    /** Sizes 0, 1, shard - 1, shard, shard + 1 and whole stripes, for several shapes and loss sets. */
    @Property(tries = 400)
    void roundTrip_edgeSizesAndAnyLossOfAtMostM(@ForAll("cases") Case c) {
        ErasureCodec codec = ErasureCodec.create(c.k, c.m);
        byte[] stripe = randomBytes(c.length, c.seed);
        byte[][] shards = codec.encode(stripe, 0, stripe.length);
        assertThat(shards).hasNumberOfRows(c.k + c.m);
        for (byte[] s : shards) {
            assertThat(s).hasSize(ErasureCodec.shardLength(c.k, c.length));
        }
        Random r = new Random(c.seed);
        int losses = r.nextInt(c.m + 1);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < c.k + c.m; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, r);
        int[] lost = order.subList(0, losses).stream().mapToInt(Integer::intValue).toArray();
        assertThat(codec.decode(copyWithout(shards, lost), c.length)).isEqualTo(stripe);
    }

    record Case(int k, int m, int length, long seed) {
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<int[]> shape = Arbitraries.of(new int[] {1, 0}, new int[] {1, 2}, new int[] {2, 1},
                new int[] {4, 2}, new int[] {10, 4}, new int[] {3, 5});
        Arbitrary<Integer> shardSize = Arbitraries.of(1, 2, 64, 1000, 4096);
        Arbitrary<Integer> which = Arbitraries.integers().between(0, 6);
        return Combinators.combine(shape, shardSize, which, Arbitraries.longs()).as((km, s, w, seed) -> {
            int k = km[0];
            int stripe = k * s;
            int length = switch (w) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> Math.max(0, s - 1);
                case 3 -> s;
                case 4 -> s + 1;
                case 5 -> Math.max(0, stripe - 1);
                default -> stripe;
            };
            return new Case(k, km[1], length, seed);
        });
    }

    private static byte[][] copyWithout(byte[][] shards, int[] lost) {
        byte[][] copy = new byte[shards.length][];
        for (int i = 0; i < shards.length; i++) {
            copy[i] = shards[i].clone();
        }
        for (int i : lost) {
            copy[i] = null;
        }
        return copy;
    }

    private static List<int[]> combinations(int n, int r) {
        List<int[]> out = new ArrayList<>();
        combine(n, r, 0, new int[r], 0, out);
        return out;
    }

    private static void combine(int n, int r, int start, int[] acc, int depth, List<int[]> out) {
        if (depth == r) {
            out.add(acc.clone());
            return;
        }
        for (int i = start; i < n; i++) {
            acc[depth] = i;
            combine(n, r, i + 1, acc, depth + 1, out);
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
