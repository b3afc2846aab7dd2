package io.shardmesh.cli;

import io.shardmesh.proto.v1.ForgetStalePeersRequest;
import io.shardmesh.proto.v1.ForgetStalePeersResponse;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.ListPeersResponse;
import io.shardmesh.proto.v1.PeerInfo;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code shardmesh peers}. */
@Command(name = "peers", mixinStandardHelpOptions = true,
        description = "The node's peer table: address, node id, status, last seen, RTT.",
        footer = {"", "Example:", "  shardmesh peers --node 127.0.0.1:7071", "  shardmesh peers --cleanup --older-than 3600"})
final class PeersCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Option(names = "--cleanup", description = "Forget peers not seen for a while, then list what is left.")
    boolean cleanup;

    @Option(names = "--older-than", paramLabel = "SECONDS",
            description = "With --cleanup: how long unseen counts as stale (default: the node's, 24 h).")
    long olderThanSeconds;

    @Override
    public Integer call() throws Exception {
        ListPeersResponse peers;
        try (NodeClient node = new NodeClient(global.node(), global.security())) {
            if (cleanup) {
                ForgetStalePeersResponse gone = node.call("peers --cleanup", stubs -> stubs.node()
                        .forgetStalePeers(ForgetStalePeersRequest.newBuilder().setOlderThanSeconds(olderThanSeconds).build()));
                if (!global.json && !global.quiet) {
                    spec.commandLine().getErr().printf("forgot %d stale peer(s)%n", gone.getForgottenCount());
                }
            }
            peers = node.call("peers", stubs -> stubs.node().listPeers(ListPeersRequest.getDefaultInstance()));
        }
        NodeClient.print(global, spec.commandLine().getOut(), peers, out -> {
            if (global.quiet) {
                peers.getPeersList().forEach(p -> out.println(p.getContact().getHost() + ":" + p.getContact().getPort()));
                return;
            }
            out.printf("%-22s %-16s %-13s %-10s %s%n", "ADDRESS", "NODE ID", "STATUS", "LAST SEEN", "RTT");
            long now = System.currentTimeMillis();
            for (PeerInfo p : peers.getPeersList()) {
                out.printf("%-22s %-16s %-13s %-10s %s%n",
                        p.getContact().getHost() + ":" + p.getContact().getPort(),
                        p.getContact().getNodeId().substring(0, 16),
                        p.getStatus().name().replace("PEER_STATUS_", "").toLowerCase(Locale.ROOT),
                        StatusCommand.humanDuration(Duration.ofMillis(Math.max(0, now - p.getLastSeenUnixMs()))) + " ago",
                        p.getLastRttMs() == 0 ? "-" : p.getLastRttMs() + " ms");
            }
            if (peers.getPeersCount() == 0) {
                out.println("(no peers yet: start another node with --bootstrap " + global.node() + ")");
            }
        });
        return ExitCodes.OK;
    }
}
