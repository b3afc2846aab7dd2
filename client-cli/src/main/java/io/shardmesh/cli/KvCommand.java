package io.shardmesh.cli;

import com.google.protobuf.ByteString;
import io.shardmesh.proto.v1.KvGetRequest;
import io.shardmesh.proto.v1.KvGetResponse;
import io.shardmesh.proto.v1.KvPutRequest;
import io.shardmesh.proto.v1.KvPutResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code shardmesh kv put|get}: small values in the DHT. */
@Command(name = "kv", mixinStandardHelpOptions = true,
        description = "Small values (up to 64 KiB) stored at the nodes closest to the key's hash.",
        subcommands = {KvCommand.Put.class, KvCommand.Get.class},
        footer = {"", "Example:", "  shardmesh kv put hello world --node 127.0.0.1:7070",
            "  shardmesh kv get hello --node 127.0.0.1:7071"})
final class KvCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "kv needs a subcommand: put or get");
    }

    @Command(name = "put", mixinStandardHelpOptions = true, description = "Store VALUE under KEY.",
            footer = {"", "Example:", "  shardmesh kv put hello world"})
    static final class Put implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        GlobalOptions global;

        @Parameters(index = "0", paramLabel = "KEY", description = "1..256 bytes of UTF-8.")
        String key;

        @Parameters(index = "1", paramLabel = "VALUE", description = "The value, stored as UTF-8 text.")
        String value;

        @Option(names = "--ttl", paramLabel = "SECONDS", description = "How long the value lives unless republished"
                + " (default: the node's record lifetime, 24 h; the node republishes it every 12 h).")
        int ttlSeconds;

        @Override
        public Integer call() throws Exception {
            KvPutResponse r;
            try (NodeClient node = new NodeClient(global.node(), global.security())) {
                r = node.call("kv put", NodeClient.LOOKUP_DEADLINE, stubs -> stubs.kv().put(KvPutRequest.newBuilder().setKey(key)
                        .setValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)).setTtlSeconds(ttlSeconds).build()));
            }
            NodeClient.print(global, spec.commandLine().getOut(), r, out -> {
                if (!global.quiet) {
                    out.printf("stored '%s' on %d node(s) (dht key %s)%n", key, r.getStoredCount(), r.getDhtKey());
                }
            });
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print the newest value stored under KEY.",
            footer = {"", "Example:", "  shardmesh kv get hello"})
    static final class Get implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        GlobalOptions global;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() throws Exception {
            KvGetResponse r;
            try (NodeClient node = new NodeClient(global.node(), global.security())) {
                r = node.call("kv get", NodeClient.LOOKUP_DEADLINE, stubs -> stubs.kv().get(KvGetRequest.newBuilder().setKey(key).build()));
            }
            NodeClient.print(global, spec.commandLine().getOut(), r, out -> {
                out.println(r.getValue().toStringUtf8());
                if (!global.quiet) {
                    spec.commandLine().getErr().printf("(published by %s at %s)%n", r.getPublisherId().substring(0, 12),
                            Instant.ofEpochMilli(r.getPublishedAtUnixMs()));
                }
            });
            return ExitCodes.OK;
        }
    }
}
