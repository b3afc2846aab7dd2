package io.shardmesh.cli;

import io.shardmesh.common.units.Sizes;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StatusResponse;
import io.shardmesh.server.grpc.TransportSecurity;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code shardmesh status}. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a node's id, addresses, stored shards and bytes, and uptime.",
        footer = {"", "Example:", "  shardmesh status --node 127.0.0.1:7071", "  shardmesh status --json"})
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Override
    public Integer call() throws Exception {
        StatusResponse s;
        try (NodeClient node = new NodeClient(global.node(), global.security())) {
            s = node.call("status", stubs -> stubs.node().status(StatusRequest.getDefaultInstance()));
        }
        NodeClient.print(global, spec.commandLine().getOut(), s, out -> {
            if (global.quiet) {
                out.println(s.getNode().getNodeId());
                return;
            }
            out.printf("node id      %s%n", s.getNode().getNodeId());
            out.printf("address      %s:%d (listening on %s)%n", s.getNode().getHost(), s.getNode().getPort(), s.getListenAddress());
            out.printf("transport    %s%n", switch (s.getTransport()) {
                case TransportSecurity.TLS -> "TLS 1.3, node identities checked both ways";
                case TransportSecurity.PLAINTEXT -> "PLAINTEXT (node --plaintext): nothing is encrypted or authenticated";
                default -> s.getTransport().isEmpty() ? "not reported (an older node)" : s.getTransport();
            });
            out.printf("version      %s%n", s.getVersion());
            out.printf("uptime       %s%n", humanDuration(Duration.ofMillis(s.getUptimeMs())));
            out.printf("stored       %d shards, %s%s%n", s.getStoredChunks(), Sizes.format(s.getStoredBytes()),
                    s.getMaxStorageBytes() == 0 ? " (no quota)" : " of " + Sizes.format(s.getMaxStorageBytes()));
            out.printf("pinned files %d%n", s.getPinnedFiles());
            out.printf("routing      %d contacts in %d buckets, %d DHT records held%n", s.getRoutingTableSize(),
                    s.getBucketsCount(), s.getDhtRecords());
            var r = s.getRepair();
            out.printf("repair       %d queued, %d running, %d done, %d failed; %d shard(s) rebuilt, %s fetched, %s written%s%n",
                    r.getQueued(), r.getRunning(), r.getDone(), r.getFailed(), r.getShardsRepaired(),
                    Sizes.format(r.getBytesFetched()), Sizes.format(r.getBytesWritten()),
                    r.getUnrecoverable() > 0 ? "; " + r.getUnrecoverable() + " stripe check(s) found fewer than k shards" : "");
            out.printf("scrub        %d chunk(s) re-hashed, %d quarantined%n", r.getScrubbedChunks(), r.getQuarantinedChunks());
        });
        return ExitCodes.OK;
    }

    static String humanDuration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m " + (s % 60) + "s";
        }
        return (s / 3600) + "h " + (s % 3600 / 60) + "m";
    }
}
