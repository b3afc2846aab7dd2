package io.shardmesh.common.id;

import io.shardmesh.common.error.MeshException;

/** Conversions shared by the id records. */
final class Ids {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Ids() {
    }

    static long[] parseHex(String hex, String what) {
        if (hex == null || hex.isEmpty()) {
            throw MeshException.invalidArgument(what + " is required: 64 lowercase hex characters");
        }
        if (hex.length() != 64) {
            throw MeshException.invalidArgument(what + " must be 64 lowercase hex characters, got "
                    + hex.length() + " characters: '" + abbreviate(hex) + "'");
        }
        long[] words = new long[4];
        for (int i = 0; i < 64; i++) {
            char c = hex.charAt(i);
            int v;
            if (c >= '0' && c <= '9') {
                v = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                v = c - 'a' + 10;
            } else {
                throw MeshException.invalidArgument(what + " must be 64 lowercase hex characters, found '"
                        + printable(c) + "' at position " + i + " of '" + abbreviate(hex) + "'");
            }
            words[i / 16] = (words[i / 16] << 4) | v;
        }
        return words;
    }

    static long[] fromBytes(byte[] bytes, String what) {
        if (bytes == null || bytes.length != Key256.BYTES) {
            throw MeshException.invalidArgument(what + " must be 32 bytes, got "
                    + (bytes == null ? "none" : bytes.length));
        }
        long[] words = new long[4];
        for (int i = 0; i < 32; i++) {
            words[i / 8] = (words[i / 8] << 8) | (bytes[i] & 0xff);
        }
        return words;
    }

    static byte[] toBytes(long w0, long w1, long w2, long w3) {
        byte[] out = new byte[32];
        long[] words = {w0, w1, w2, w3};
        for (int i = 0; i < 32; i++) {
            out[i] = (byte) (words[i / 8] >>> (56 - 8 * (i % 8)));
        }
        return out;
    }

    static String toHex(long w0, long w1, long w2, long w3) {
        char[] out = new char[64];
        long[] words = {w0, w1, w2, w3};
        for (int i = 0; i < 64; i++) {
            out[i] = HEX[(int) (words[i / 16] >>> (60 - 4 * (i % 16))) & 0xf];
        }
        return new String(out);
    }

    private static String abbreviate(String s) {
        String shown = s.length() > 80 ? s.substring(0, 77) + "..." : s;
        StringBuilder b = new StringBuilder(shown.length());
        shown.chars().forEach(c -> b.append(printable((char) c)));
        return b.toString();
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
}
