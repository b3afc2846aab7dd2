package io.shardmesh.cli;

import io.shardmesh.common.cli.LogOptions;

/** {@code shardmesh}: the command line's entry point. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        // Commands print their own results; node logs (INFO) are for the node and up commands,
        // or for -v. Set before anything logs, so Logback reads it when it starts.
        boolean serving = args.length > 0 && (args[0].equals("node") && !(args.length > 1 && args[1].equals("drain"))
                || args[0].equals("up"));
        LogOptions.apply(args, serving ? LogOptions.Level.INFO : LogOptions.Level.WARN);
        // A fan-out that failed cancels its other calls; their late errors reach Reactor after the
        // command has failed and said why in one line. Without this hook Reactor prints each of
        // them as an ERROR with a stack trace, which breaks the one-line error contract.
        reactor.core.publisher.Hooks.onErrorDropped(e -> org.slf4j.LoggerFactory.getLogger(Main.class)
                .debug("error after the command had already failed: {}", e.toString()));
        System.exit(ShardmeshCommand.commandLine().execute(args));
    }
}
