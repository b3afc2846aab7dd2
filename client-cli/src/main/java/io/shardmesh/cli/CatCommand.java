package io.shardmesh.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shardmesh cat}: a file, or a range of it, to stdout. */
@Command(name = "cat", mixinStandardHelpOptions = true,
        description = "Print a file (or a byte range of it) to standard output.",
        footer = {"", "Example:", "  shardmesh cat 3f1c...e9 | less", "  shardmesh cat 3f1c...e9 --offset 1024 --length 100"})
final class CatCommand extends GetCommand {

    @Option(names = "--offset", description = "First byte to print.")
    void offset(long value) {
        this.offset = value;
    }

    @Option(names = "--length", description = "How many bytes to print (default: to the end).")
    void length(long value) {
        this.length = value;
    }

    @Override
    public Integer call() throws Exception {
        this.output = "-";
        return super.call();
    }
}
