package io.shardmesh.cli;

import io.shardmesh.common.units.Sizes;
import io.shardmesh.proto.v1.FilesStatRequest;
import io.shardmesh.proto.v1.FilesStatResponse;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code shardmesh stat}: a file's manifest and where every shard lives now. */
@Command(name = "stat", mixinStandardHelpOptions = true,
        description = "Show a file's manifest and, for every shard, the nodes that hold it now (the shares).",
        footer = {"", "Example:", "  shardmesh stat 3f1c...e9", "  shardmesh stat '3f1c...e9:Qk9...' --json"})
final class StatCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Parameters(index = "0", paramLabel = "ID|CAPABILITY")
    String handle;

    /** A stripe's (or the file's worst stripe's) health in words. */
    static String health(int lossesSurvivable, int m) {
        if (lossesSurvivable < 0) {
            return "UNREADABLE now (fewer than k shards answer)";
        }
        if (lossesSurvivable == 0) {
            return "at risk: survives no more losses";
        }
        return "survives " + lossesSurvivable + " more loss" + (lossesSurvivable == 1 ? "" : "es")
                + (lossesSurvivable < m ? " (of " + m + ")" : "");
    }

    @Override
    public Integer call() throws Exception {
        int colon = handle.indexOf(':');
        FilesStatRequest.Builder req = FilesStatRequest.newBuilder().setFileId(colon < 0 ? handle : handle.substring(0, colon));
        if (colon >= 0) {
            req.setKey(handle.substring(colon + 1));
        }
        FilesStatResponse s;
        try (NodeClient node = new NodeClient(global.node(), global.security())) {
            s = node.call("stat", NodeClient.LOOKUP_DEADLINE, stubs -> stubs.files().stat(req.build()));
        }
        NodeClient.print(global, spec.commandLine().getOut(), s, out -> {
            var f = s.getFile();
            out.printf("file     %s%n", f.getFileId());
            out.printf("name     %s%n", f.getName().isEmpty() ? (f.getEncrypted() ? "(encrypted; give the capability)" : "") : f.getName());
            out.printf("size     %s (%d bytes)%n", Sizes.format(f.getSize()), f.getSize());
            out.printf("coding   %d data + %d parity shards of %s per stripe, %d stripe(s)%s%n", f.getK(), f.getM(),
                    Sizes.format(f.getShardSize()), s.getStripesCount(), f.getEncrypted() ? ", AES-256-GCM" : "");
            out.printf("owner    %s%n", f.getOwnerId());
            int worst = s.getStripesList().stream().mapToInt(x -> x.getLossesSurvivable()).min().orElse(f.getM());
            out.printf("health   %s%n", health(worst, f.getM()));
            if (global.quiet) {
                return;
            }
            for (var stripe : s.getStripesList()) {
                out.printf("stripe %d  %d/%d shards live (needs %d), %s%n", stripe.getIndex(), stripe.getLiveShards(),
                        stripe.getShardsCount(), f.getK(), health(stripe.getLossesSurvivable(), f.getM()));
                for (var sh : stripe.getShardsList()) {
                    Set<String> live = new HashSet<>();
                    sh.getLiveHoldersList().forEach(h -> live.add(h.getNodeId()));
                    out.printf("  %-6s %2d  %s...  %s%n", sh.getIndex() < f.getK() ? "data" : "parity", sh.getIndex(),
                            sh.getChunkId().substring(0, 16), sh.getHoldersCount() == 0 ? "(no holder announces it)"
                                    : sh.getHoldersList().stream().map(h -> h.getHost() + ":" + h.getPort()
                                                    + (live.contains(h.getNodeId()) ? "" : " (not answering or lost it)"))
                                            .reduce((a, b) -> a + ", " + b).orElse(""));
                }
            }
        });
        return ExitCodes.OK;
    }
}
