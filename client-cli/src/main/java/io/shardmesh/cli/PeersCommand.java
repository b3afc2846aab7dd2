package io.shardmesh.cli;

import io.shardmesh.proto.v1.ForgetStalePeersRequest;
import io.shardmesh.proto.v1.ForgetStalePeersResponse;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.ListPeersResponse;
import io.shardmesh.proto.v1.PeerInfo;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
            description = "With --cleanup: how long unseen counts as stale, at least 600 (default: the node's, 24 h).")
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
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("ADDRESS", "NODE ID", "STATUS", "LAST SEEN", "RTT"));
            long now = System.currentTimeMillis();
            for (PeerInfo p : peers.getPeersList()) {
                rows.add(List.of(p.getContact().getHost() + ":" + p.getContact().getPort(),
                        p.getContact().getNodeId().substring(0, 16),
                        p.getStatus().name().replace("PEER_STATUS_", "").toLowerCase(Locale.ROOT),
                        StatusCommand.humanDuration(Duration.ofMillis(Math.max(0, now - p.getLastSeenUnixMs()))) + " ago",
                        p.getLastRttMs() == 0 ? "-" : p.getLastRttMs() + " ms"));
            }
            printColumns(out, rows);
            if (peers.getPeersCount() == 0) {
                out.println("(no peers yet: start another node with --bootstrap " + global.node() + ")");
            }
        });
        return ExitCodes.OK;
    }

    /** {@code rows} as columns two spaces apart, each as wide as its widest cell. */
    static void printColumns(PrintWriter out, List<List<String>> rows) {
        int[] width = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(row.get(i));
                if (i < row.size() - 1) {
                    line.append(" ".repeat(width[i] - row.get(i).length() + 2));
                }
            }
            out.println(line);
        }
    }
}
