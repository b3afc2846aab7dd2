package io.shardmesh.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import io.grpc.StatusRuntimeException;
import io.shardmesh.proto.v1.KvGetRequest;
import io.shardmesh.proto.v1.KvGetResponse;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.KvPutRequest;
import io.shardmesh.proto.v1.KvPutResponse;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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

    /** DHT lookups and stores take a while on a large mesh; the node does them for us. */
    static final long DEADLINE_SECONDS = 60;

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
            try (NodeConnection c = new NodeConnection(global.node())) {
                r = KvGrpc.newBlockingStub(c.channel()).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                        .put(KvPutRequest.newBuilder().setKey(key)
                                .setValue(ByteString.copyFrom(value, StandardCharsets.UTF_8))
                                .setTtlSeconds(ttlSeconds).build());
            } catch (StatusRuntimeException e) {
                throw NodeConnection.failed(e, "kv put at " + global.node());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (global.json) {
                out.println(JsonFormat.printer().print(r));
            } else if (!global.quiet) {
                out.printf("stored '%s' on %d node(s) (dht key %s)%n", key, r.getStoredCount(), r.getDhtKey());
            }
            out.flush();
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
            try (NodeConnection c = new NodeConnection(global.node())) {
                r = KvGrpc.newBlockingStub(c.channel()).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                        .get(KvGetRequest.newBuilder().setKey(key).build());
            } catch (StatusRuntimeException e) {
                throw NodeConnection.failed(e, "kv get at " + global.node());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (global.json) {
                out.println(JsonFormat.printer().print(r));
            } else {
                out.println(r.getValue().toStringUtf8());
                if (!global.quiet) {
                    spec.commandLine().getErr().printf("(published by %s at %s)%n", r.getPublisherId().substring(0, 12),
                            Instant.ofEpochMilli(r.getPublishedAtUnixMs()));
                }
            }
            out.flush();
            return ExitCodes.OK;
        }
    }
}
