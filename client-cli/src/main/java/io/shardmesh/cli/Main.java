package io.shardmesh.cli;

/** {@code shardmesh}: the command line's entry point. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(ShardmeshCommand.commandLine().execute(args));
    }
}
