package io.shardmesh.common.cli;

import io.shardmesh.common.net.HostPort;
import picocli.CommandLine;

/** Parses {@code HOST:PORT} options ({@code [::1]:7070} for IPv6). */
public final class HostPortConverter implements CommandLine.ITypeConverter<HostPort> {
    @Override
    public HostPort convert(String value) {
        try {
            return HostPort.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
