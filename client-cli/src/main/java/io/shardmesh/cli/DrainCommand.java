package io.shardmesh.cli;

import io.shardmesh.common.units.Sizes;
import io.shardmesh.proto.v1.DrainRequest;
import io.shardmesh.proto.v1.DrainResponse;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code shardmesh node drain}: moves a node's shards to other nodes, then stops it. */
@Command(name = "drain", mixinStandardHelpOptions = true,
        description = {"Move every shard and manifest a node holds to other nodes (by the placement rule), then stop it.",
            "Run it on the node's own host: a node drains only for a caller there. Safe to run again: a drain that",
            "was cut short resumes with what is left."},
        footer = {"", "Example:", "  shardmesh node drain --node 127.0.0.1:7071",
            "  shardmesh node drain --node 127.0.0.1:7071 --keep-running   (move everything, leave the node up)"})
final class DrainCommand implements Callable<Integer> {

    /** A drain moves everything: as long as the node allows one call to last. */
    static final Duration DEADLINE = Duration.ofHours(24);

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Option(names = "--keep-running", description = "Leave the node running once drained (it then holds nothing).")
    boolean keepRunning;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        boolean progress = !global.json && !global.quiet;
        DrainResponse last;
        try (NodeClient node = new NodeClient(global.node(), global.security())) {
            last = node.call("drain", DEADLINE, stubs -> {
                Iterator<DrainResponse> it = stubs.node().drain(DrainRequest.newBuilder().setStop(!keepRunning).build());
                DrainResponse r = DrainResponse.getDefaultInstance();
                while (it.hasNext()) {
                    r = it.next();
                    if (progress) {
                        err.printf("moved %d of %d chunk(s), %s; %d of %d file(s) done%n", r.getChunksMoved(),
                                r.getChunksTotal(), Sizes.format(r.getBytesMoved()), r.getFilesDone(), r.getFilesTotal());
                        err.flush();
                    }
                }
                return r;
            });
        }
        DrainResponse r = last;
        NodeClient.print(global, spec.commandLine().getOut(), r, out -> {
            if (!global.quiet) {
                out.printf("drained %s: %d chunk(s) (%s) moved to other nodes; %s%n", global.node(), r.getChunksMoved(),
                        Sizes.format(r.getBytesMoved()), keepRunning ? "the node keeps running" : "the node is stopping");
            }
        });
        return ExitCodes.OK;
    }
}
