package io.shardmesh.common.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {

    private static final ContentId A = ContentId.fromHex("a".repeat(64));
    private static final ContentId B = ContentId.fromHex("b".repeat(64));
    private static final NodeId OWNER = NodeId.fromHex("c".repeat(64));

    private static Manifest small() {
        return new Manifest(10, Optional.of(A), "x.txt", 1, 1, 1024, List.of(List.of(A, B)), Optional.empty(), OWNER);
    }

    /**
     * A known answer: file ids in the wild are hashes of exactly these bytes, so the encoding
     * must never change for format version 1.
     */
    @Test
    void toBytes_knownManifest_isStable() {
        byte[] bytes = ManifestCodec.toBytes(small());
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(
                "0801100a1a40" + "61".repeat(64) + "2205782e747874280130013880084284010a40" + "61".repeat(64)
                        + "0a40" + "62".repeat(64) + "5240" + "63".repeat(64));
        assertThat(ManifestCodec.fileId(small())).isEqualTo(Sha256.of(bytes));
    }

    @Test
    void parse_roundTrips() {
        byte[] bytes = ManifestCodec.toBytes(small());
        assertThat(ManifestCodec.parse(Sha256.of(bytes), bytes)).isEqualTo(small());
    }

    @Test
    void parse_tamperedBytes_isDataLoss() {
        byte[] bytes = ManifestCodec.toBytes(small());
        ContentId id = Sha256.of(bytes);
        bytes[3] ^= 1;
        assertThatThrownBy(() -> ManifestCodec.parse(id, bytes))
                .isInstanceOf(MeshException.class)
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.DATA_LOSS))
                .hasMessageContaining("do not hash to file id");
    }

    @Test
    void parse_bytesThatHashRightButAreNotAValidManifest_isDataLoss() {
        byte[] junk = {1, 2, 3};
        assertThatThrownBy(() -> ManifestCodec.parse(Sha256.of(junk), junk))
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.DATA_LOSS));
    }

    @Test
    void constructor_stripeCountNotMatchingSize_isRejected() {
        assertThatThrownBy(() -> new Manifest(5000, Optional.of(A), "x", 1, 1, 1024, List.of(List.of(A, B)),
                Optional.empty(), OWNER)).hasMessageContaining("has 5 stripes");
    }

    @Test
    void lengths_lastStripeIsShorterAndEncryptionAddsTheTag() {
        Manifest m = new Manifest(4 * 1024 + 10, Optional.of(A), "x", 2, 1, 1024,
                List.of(List.of(A, B, A), List.of(A, B, A), List.of(A, B, A)), Optional.empty(), OWNER);
        assertThat(m.plainStripeLength(0)).isEqualTo(2048);
        assertThat(m.plainStripeLength(2)).isEqualTo(10);
        assertThat(m.shardLength(2)).isEqualTo(5);
        Manifest e = new Manifest(10, Optional.empty(), "", 2, 1, 1024, List.of(List.of(A, B, A)),
                Optional.of(new Manifest.Encryption(new byte[5], new byte[12])), OWNER);
        assertThat(e.encodedStripeLength(0)).isEqualTo(26);
        assertThat(e.shardLength(0)).isEqualTo(13);
    }
}
