package io.shardmesh.common.hash;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Known answers from FIPS 180-2, Appendix B, and the NIST example values. */
class Sha256Test {

    @Test
    void of_emptyInput_matchesKnownAnswer() {
        assertThat(Sha256.of(new byte[0]).hex())
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void of_abc_matchesFips180Vector() {
        assertThat(Sha256.of(ascii("abc")).hex())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void of_twoBlockMessage_matchesFips180Vector() {
        assertThat(Sha256.of(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex())
                .isEqualTo("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }

    @Test
    void hasher_millionAsInPieces_matchesFips180Vector() {
        byte[] piece = new byte[1000];
        Arrays.fill(piece, (byte) 'a');
        Sha256.Hasher h = Sha256.hasher();
        for (int i = 0; i < 1000; i++) {
            h.update(piece);
        }
        assertThat(h.bytes()).isEqualTo(1_000_000);
        assertThat(h.finish().hex())
                .isEqualTo("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }

    @Test
    void of_byteBuffer_leavesPositionAlone() {
        ByteBuffer b = ByteBuffer.wrap(ascii("xabc"));
        b.position(1);
        assertThat(Sha256.of(b).hex())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(b.position()).isEqualTo(1);
    }

    @Property(tries = 200)
    void hasher_anySplit_equalsOneShot(@ForAll byte[] data, @ForAll @IntRange(min = 0, max = 1000) int split) {
        int cut = Math.min(split, data.length);
        Sha256.Hasher h = Sha256.hasher().update(data, 0, cut);
        h.update(ByteBuffer.wrap(data, cut, data.length - cut));
        assertThat(h.finish()).isEqualTo(Sha256.of(data));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
