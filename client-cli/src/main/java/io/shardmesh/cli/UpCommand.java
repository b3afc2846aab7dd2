package io.shardmesh.cli;

import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.node.NodeBuilder;
import io.shardmesh.server.node.ShardmeshNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code shardmesh up}: a local mesh on loopback, in one process, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run a local mesh of N nodes on 127.0.0.1 in one process until Ctrl-C.",
        footer = {"", "Example:", "  shardmesh up --nodes 5 --base-port 7070 --data-dir ./mesh"})
final class UpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    GlobalOptions global;

    @Option(names = "--nodes", defaultValue = "6",
            description = "How many nodes (default: ${DEFAULT-VALUE}, enough for a put with the default 4 data + 2 parity shards).")
    int count;

    @Option(names = "--base-port", defaultValue = "7070",
            description = "Port of the first node; the others follow (default: ${DEFAULT-VALUE}).")
    int basePort;

    @Option(names = "--data-dir", defaultValue = "./shardmesh-up", paramLabel = "DIR",
            description = "Parent of the nodes' data dirs, node1, node2, ... (default: ${DEFAULT-VALUE}); kept between runs.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 64) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--nodes must be 1..64, got " + count);
        }
        PrintWriter out = spec.commandLine().getOut();
        List<ShardmeshNode> nodes = new ArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            nodes.forEach(ShardmeshNode::close);
            stopped.countDown();
        }, "shardmesh-up-shutdown"));
        try {
            for (int i = 0; i < count; i++) {
                NodeBuilder b = ShardmeshNode.builder(dataDir.resolve("node" + (i + 1))).listen(new HostPort("127.0.0.1", basePort + i));
                if (i > 0) {
                    b.configure(c -> c.withBootstrap(List.of(new HostPort("127.0.0.1", basePort))));
                }
                nodes.add(b.start());
                out.printf("node %d  %s  127.0.0.1:%d%n", i + 1, nodes.get(i).id().hex().substring(0, 16), basePort + i);
            }
        } catch (Exception e) {
            nodes.forEach(ShardmeshNode::close);
            throw e;
        }
        out.printf("%nA %d-node mesh is up. Point commands at any node, for example:%n", count);
        out.printf("  export SHARDMESH_NODE=127.0.0.1:%d%n", basePort);
        String me = ShardmeshCommand.program();
        out.printf("  %1$s status%n  %1$s peers%n  %1$s kv put hello world && %1$s kv get hello --node 127.0.0.1:%2$d%n",
                me, basePort + count - 1);
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
