package io.shardmesh.cli;

import io.shardmesh.common.cli.HostPortConverter;
import io.shardmesh.common.cli.LogOptions;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.NodeKeyFile;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.tls.NodeCertificateFile;
import io.shardmesh.server.grpc.TransportSecurity;
import io.shardmesh.server.node.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

    @Option(names = "--plaintext", scope = ScopeType.INHERIT,
            description = "Talk to nodes without TLS, for a mesh whose nodes run with --plaintext"
                    + " (default: $SHARDMESH_PLAINTEXT=1, else TLS with the client key).")
    boolean plaintext;

    @Option(names = "--key", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "The identity to act as: it owns the files this command stores and signs in TLS"
                    + " (default: $SHARDMESH_HOME/client.key, made on first use; a node's own data-dir/node.key"
                    + " acts as that node, e.g. to rm a file put through it).")
    Path key;

    @Mixin
    LogOptions log;

    private TransportSecurity security;
    private NodeKey identity;

    /**
     * How this command's channels are secured: TLS with the client key ({@code client.key}, which
     * also owns the files the command line stores), or plaintext when asked for.
     */
    public synchronized TransportSecurity security() {
        if (security == null) {
            if (plaintext()) {
                security = TransportSecurity.plaintext();
            } else {
                // The certificate beside the key file (client.crt, node.crt): read, not made, on every command after the first.
                Path file = key == null ? ClientMesh.home().resolve("client.key") : key.toAbsolutePath();
                String name = file.getFileName().toString();
                Path certificate = file.resolveSibling((name.endsWith(".key") ? name.substring(0, name.length() - 4) : name) + ".crt");
                NodeKey me = identity();
                security = TransportSecurity.tls(me, NodeCertificateFile.loadOrCreate(me, certificate, Clock.systemUTC()));
            }
        }
        return security;
    }

    /** The key this command acts as: {@code --key FILE}, which must exist, else the client key. */
    public synchronized NodeKey identity() {
        if (identity == null) {
            if (key == null) {
                identity = ClientMesh.ownerKey();
            } else if (!Files.isRegularFile(key)) {
                throw MeshException.invalidArgument("--key " + key + ": no such key file");
            } else {
                Path parent = key.toAbsolutePath().getParent();
                identity = NodeKeyFile.loadOrCreate(parent, key.getFileName().toString());
            }
        }
        return identity;
    }

    /** Whether plaintext was asked for, by {@code --plaintext} or {@code $SHARDMESH_PLAINTEXT}. */
    public boolean plaintext() {
        String env = System.getenv("SHARDMESH_PLAINTEXT");
        return plaintext || "1".equals(env) || "true".equalsIgnoreCase(env);
    }

    /** The node address in effect. */
    public HostPort node() {
        if (node != null) {
            return node;
        }
        String env = System.getProperty(NODE_PROPERTY, System.getenv("SHARDMESH_NODE"));
        try {
            return HostPort.parse(env == null || env.isBlank() ? DEFAULT_NODE : env);
        } catch (IllegalArgumentException e) {
            // A usage error, exit 2, as the same text given to --node is.
            throw MeshException.invalidArgument("$SHARDMESH_NODE: " + e.getMessage());
        }
    }
}
