package io.shardmesh.common.units;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and formats byte sizes. Binary (KiB, MiB, GiB, TiB) and decimal (KB, MB, GB, TB) units. */
public final class Sizes {

    private static final Pattern SIZE = Pattern.compile("\\s*(\\d+)\\s*([kmgt]i?b?|b)?\\s*", Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    /**
     * Parses {@code 1048576}, {@code 1MiB}, {@code 1M} (binary), {@code 1MB} (decimal).
     *
     * @throws IllegalArgumentException with a message naming the value and the accepted forms
     */
    public static long parse(String text) {
        Matcher m = text == null ? null : SIZE.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size: use a whole number of bytes"
                    + " or one with a unit, like 64KiB, 1MiB, 10GiB or 500MB");
        }
        long value;
        try {
            value = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        long multiplier = switch (unit) {
            case "b" -> 1L;
            case "k", "ki", "kib" -> 1L << 10;
            case "m", "mi", "mib" -> 1L << 20;
            case "g", "gi", "gib" -> 1L << 30;
            case "t", "ti", "tib" -> 1L << 40;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit '" + unit + "'");
        };
        try {
            return Math.multiplyExact(value, multiplier);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
    }

    /** Formats with a binary unit and one decimal: {@code 1.5 MiB}, {@code 512 B}. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }
}
