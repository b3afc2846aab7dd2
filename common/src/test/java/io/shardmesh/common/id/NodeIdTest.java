package io.shardmesh.common.id;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdTest {

    private static final String HEX = "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978";

    @Test
    void fromHex_valid_roundTrips() {
        NodeId id = NodeId.fromHex(HEX);
        assertThat(id.hex()).isEqualTo(HEX);
        assertThat(id.toString()).isEqualTo(HEX);
        assertThat(NodeId.fromBytes(id.bytes())).isEqualTo(id);
        assertThat(id.bytes()[0]).isEqualTo((byte) 0x00);
        assertThat(id.bytes()[31]).isEqualTo((byte) 0x78);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {
        "",
        "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a697",
        "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a69788",
        "00112233445566778899AABBCCDDEEFF0123456789ABCDEF0F1E2D3C4B5A6978",
        "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a697g",
        " 0112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978",
        "0x112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978",
        "\u0000112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978"
    })
    void fromHex_malformed_isInvalidArgumentNamingTheField(String hex) {
        assertThatThrownBy(() -> ContentId.fromHex(hex, "chunk_id"))
                .isInstanceOf(MeshException.class)
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT))
                .hasMessageContaining("chunk_id");
    }

    @Test
    void fromBytes_wrongLength_isInvalidArgument() {
        assertThatThrownBy(() -> NodeId.fromBytes(new byte[31])).isInstanceOf(MeshException.class);
        assertThatThrownBy(() -> NodeId.fromBytes(null)).isInstanceOf(MeshException.class);
    }

    @Test
    void bytes_isDefensiveCopy() {
        NodeId id = NodeId.fromHex(HEX);
        id.bytes()[0] = 42;
        assertThat(id.hex()).isEqualTo(HEX);
    }

    @Test
    void bucketIndex_isPositionOfHighestDifferingBit() {
        NodeId zero = new NodeId(0, 0, 0, 0);
        assertThat(zero.bucketIndex(zero)).isEqualTo(-1);
        assertThat(zero.bucketIndex(new NodeId(0, 0, 0, 1))).isEqualTo(0);
        assertThat(zero.bucketIndex(new NodeId(0, 0, 0, 0x80))).isEqualTo(7);
        assertThat(zero.bucketIndex(new NodeId(0, 0, 1, 0))).isEqualTo(64);
        assertThat(zero.bucketIndex(new NodeId(0, 1L << 63, 0, 0))).isEqualTo(191);
        assertThat(zero.bucketIndex(new NodeId(Long.MIN_VALUE, 0, 0, 0))).isEqualTo(255);
        assertThat(zero.bucketIndex(new ContentId(-1, -1, -1, -1))).isEqualTo(255);
    }

    @Property(tries = 300)
    void bucketIndex_matchesBigIntegerLog2(@ForAll @Size(32) byte[] a, @ForAll @Size(32) byte[] b) {
        NodeId x = NodeId.fromBytes(a);
        NodeId y = NodeId.fromBytes(b);
        BigInteger d = new BigInteger(1, a).xor(new BigInteger(1, b));
        assertThat(x.bucketIndex(y)).isEqualTo(d.signum() == 0 ? -1 : d.bitLength() - 1);
        assertThat(new BigInteger(1, x.distanceTo(y))).isEqualTo(d);
    }

    @Property(tries = 100)
    void closestTo_sortsLikeBruteForceXor(@ForAll @Size(32) byte[] target, @ForAll @Size(min = 2, max = 40) List<@Size(32) byte[]> points) {
        ContentId t = ContentId.fromBytes(target);
        List<NodeId> ids = new ArrayList<>();
        points.forEach(p -> ids.add(NodeId.fromBytes(p)));
        List<NodeId> sorted = new ArrayList<>(ids);
        sorted.sort(Key256.closestTo(t));
        List<NodeId> brute = new ArrayList<>(ids);
        brute.sort(Comparator.comparing(n -> new BigInteger(1, n.bytes()).xor(new BigInteger(1, target))));
        assertThat(sorted).containsExactlyElementsOf(brute);
    }

    @Test
    void nodeAndContentIds_withSameBits_areDifferentTypesButSamePoint() {
        NodeId n = NodeId.fromHex(HEX);
        ContentId c = n.asContentId();
        assertThat(c.hex()).isEqualTo(HEX);
        assertThat((Object) c).isNotEqualTo(n);
        assertThat(n.bucketIndex(c)).isEqualTo(-1);
        assertThat(c.asNodeId()).isEqualTo(n);
    }
}
