package io.shardmesh.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code shardmesh cat}: a file, or a range of it, to stdout. */
@Command(name = "cat", mixinStandardHelpOptions = true,
        description = "Print a file (or a byte range of it) to standard output.",
        footer = {"", "Example:", "  shardmesh cat 3f1c...e9 | less", "  shardmesh cat 3f1c...e9 --offset 1024 --length 100"})
final class CatCommand extends GetCommand {

    @Option(names = "--offset", paramLabel = "BYTES", description = "First byte to print (default: 0).")
    void offset(long value) {
        if (value < 0) {
            throw new ParameterException(spec.commandLine(), "--offset must be 0 or more, got " + value);
        }
        this.offset = value;
    }

    @Option(names = "--length", paramLabel = "BYTES", description = "How many bytes to print; 0 prints nothing"
            + " (default: to the end).")
    void length(long value) {
        if (value < 0) {
            throw new ParameterException(spec.commandLine(), "--length must be 0 or more, got " + value);
        }
        this.length = value;
    }

    @Override
    public Integer call() throws Exception {
        this.output = "-";
        return super.call();
    }
}
