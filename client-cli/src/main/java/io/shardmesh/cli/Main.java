package io.shardmesh.cli;

import io.shardmesh.server.node.LogOptions;

/** {@code shardmesh}: the command line's entry point. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // Commands print their own results; node logs (INFO) are for the node and up commands,
        // or for -v. Set before anything logs, so Logback reads it when it starts.
        boolean serving = args.length > 0 && (args[0].equals("node") || args[0].equals("up"));
        LogOptions.apply(args, serving ? LogOptions.Level.INFO : LogOptions.Level.WARN);
        System.exit(ShardmeshCommand.commandLine().execute(args));
    }
}
