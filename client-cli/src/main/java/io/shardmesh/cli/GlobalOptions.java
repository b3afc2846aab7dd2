package io.shardmesh.cli;

import io.shardmesh.common.cli.HostPortConverter;
import io.shardmesh.common.cli.LogOptions;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.node.NodeConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options every command takes. */
public final class GlobalOptions {

    /** Where commands connect when neither {@code --node} nor the environment says. */
    public static final String DEFAULT_NODE = NodeConfig.DEFAULT_LISTEN_ADDRESS;

    /** The node the shell was pointed at: its commands use it unless they say --node. */
    static final String NODE_PROPERTY = "shardmesh.node";

    @Option(names = "--node", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
            converter = HostPortConverter.class,
            description = "The node to talk to (default: $SHARDMESH_NODE, else " + DEFAULT_NODE + ").")
    HostPort node;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print results as JSON.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "Print only what scripts need.")
    boolean quiet;

    @Mixin
    LogOptions log;

    /** The node address in effect. */
    public HostPort node() {
        if (node != null) {
            return node;
        }
        String env = System.getProperty(NODE_PROPERTY, System.getenv("SHARDMESH_NODE"));
        return HostPort.parse(env == null || env.isBlank() ? DEFAULT_NODE : env);
    }
}
