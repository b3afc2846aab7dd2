package io.shardmesh.cli;

import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.node.NodeCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options every command takes. */
public final class GlobalOptions {

    /** Where commands connect when neither {@code --node} nor the environment says. */
    public static final String DEFAULT_NODE = "127.0.0.1:7070";

    @Option(names = "--node", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
            converter = NodeCommand.HostPortConverter.class,
            description = "The node to talk to (default: $SHARDMESH_NODE, else " + DEFAULT_NODE + ").")
    HostPort node;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print results as JSON.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "Print only what scripts need.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show details of errors (stack traces) and debug logs.")
    boolean verbose;

    /** The node address in effect. */
    public HostPort node() {
        if (node != null) {
            return node;
        }
        String env = System.getenv("SHARDMESH_NODE");
        return HostPort.parse(env == null || env.isBlank() ? DEFAULT_NODE : env);
    }
}
