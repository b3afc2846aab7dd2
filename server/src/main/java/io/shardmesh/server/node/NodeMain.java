package io.shardmesh.server.node;

import io.shardmesh.common.cli.LogOptions;
import picocli.CommandLine;

/** {@code java -cp ... io.shardmesh.server.node.NodeMain --listen ... --data-dir ...}: one node. */
public final class NodeMain {

    private NodeMain() {
    }

    public static void main(String[] args) {
        LogOptions.apply(args, LogOptions.Level.INFO);
        System.exit(new CommandLine(new NodeCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }
}
