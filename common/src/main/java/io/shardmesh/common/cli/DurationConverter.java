package io.shardmesh.common.cli;

import io.shardmesh.common.units.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** Parses durations like {@code 500ms}, {@code 30s}, {@code 10m} or {@code 1h}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
