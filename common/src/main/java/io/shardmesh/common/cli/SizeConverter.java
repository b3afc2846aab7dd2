package io.shardmesh.common.cli;

import io.shardmesh.common.units.Sizes;
import picocli.CommandLine;

/** Parses sizes like {@code 10GiB}, {@code 512KiB} or {@code 1048576}. */
public final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return Sizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
