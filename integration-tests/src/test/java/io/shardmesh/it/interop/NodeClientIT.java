package io.shardmesh.it.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.NodeTooling;
import io.shardmesh.it.harness.Paths;
import io.shardmesh.it.harness.ProcessMesh;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Node.js client ({@code src/test/node/client.mjs}: {@code @grpc/grpc-js} and
 * {@code @grpc/proto-loader} on the .proto files as they are) stores a file in a mesh of three
 * real nodes, reads it back bit for bit, asks the DHT, and streams one shard from its holder.
 */
class NodeClientIT {

    /** Not a multiple of anything: the last stripe is short and padded. */
    private static final int FILE_BYTES = 6 * 1024 * 1024 + 12_345;

    @TempDir
    Path dir;

    @Test
    void nodeJsClient_putGetFindNodeGetChunk_allCheckOut() throws Exception {
        Path tools = NodeTooling.require();
        try (ProcessMesh mesh = ProcessMesh.start(dir, 3)) {
            NodeProcess gateway = mesh.node(0);
            NodeTooling.ProcessResult r = NodeTooling.run(tools, 180, "node", "client.mjs",
                    "--node", "127.0.0.1:" + gateway.port(),
                    "--proto-dir", Paths.repoRoot().resolve("proto/src/main/proto").toString(),
                    "--size", String.valueOf(FILE_BYTES),
                    "--deadline-seconds", "60");
            JsonObject out = result(r);
            System.out.println("NodeClientIT client.mjs: " + out);
            assertThat(out.has("error")).as("client error: %s", out).isFalse();
            assertThat(r.exitCode()).as(r.output()).isZero();

            JsonObject put = out.getAsJsonObject("put");
            String fileId = put.get("file_id").getAsString();
            assertThat(fileId).matches("[0-9a-f]{64}");
            assertThat(put.get("size").getAsLong()).isEqualTo(FILE_BYTES);
            // Three nodes for 2 + 1 shards a stripe: every shard of a stripe on its own node.
            assertThat(put.getAsJsonArray("warnings")).isEmpty();

            JsonObject get = out.getAsJsonObject("get");
            assertThat(get.get("bytes").getAsLong()).isEqualTo(FILE_BYTES);
            assertThat(get.get("sha256").getAsString()).isEqualTo(put.get("sha256").getAsString());
            assertThat(get.get("matches").getAsBoolean()).isTrue();
            assertThat(get.get("file_name").getAsString()).isEqualTo("node-client.bin");

            Set<String> others = java.util.stream.IntStream.range(1, mesh.size()).mapToObj(mesh::node).map(NodeProcess::nodeId).collect(Collectors.toSet());
            JsonObject find = out.getAsJsonObject("find_node");
            assertThat(find.get("responder_id").getAsString()).isEqualTo(gateway.nodeId());
            List<String> contacts = new ArrayList<>();
            find.getAsJsonArray("contacts").forEach(c -> contacts.add(c.getAsJsonObject().get("node_id").getAsString()));
            assertThat(contacts).containsExactlyInAnyOrderElementsOf(others);

            JsonObject stat = out.getAsJsonObject("stat");
            assertThat(stat.get("k").getAsInt()).isEqualTo(2);
            assertThat(stat.get("m").getAsInt()).isEqualTo(1);
            // 256 KiB shards, 2 data shards a stripe: 512 KiB of the file per stripe.
            assertThat(stat.get("stripes").getAsInt()).isEqualTo((FILE_BYTES + 512 * 1024 - 1) / (512 * 1024));
            assertThat(stat.get("content_sha256").getAsString()).isEqualTo(put.get("sha256").getAsString());
            assertThat(stat.get("distinct_holders").getAsInt()).isEqualTo(3);

            JsonObject chunk = out.getAsJsonObject("chunk");
            assertThat(chunk.get("sha256").getAsString()).isEqualTo(chunk.get("chunk_id").getAsString());
            assertThat(chunk.get("matches").getAsBoolean()).isTrue();
            assertThat(chunk.get("bytes").getAsLong()).isEqualTo(256 * 1024).isEqualTo(chunk.get("chunk_size").getAsLong());

            System.out.printf("NodeClientIT: Node.js put %d bytes in %d ms, got them back in %d ms (%d frames)%n",
                    FILE_BYTES, put.get("ms").getAsLong(), get.get("ms").getAsLong(), get.get("frames").getAsInt());
        }
    }

    /** The script's result is its last line (node may warn on stderr above it). */
    static JsonObject result(NodeTooling.ProcessResult r) {
        String[] lines = r.output().strip().split("\n");
        String last = lines[lines.length - 1];
        if (!last.startsWith("{")) {
            JsonObject error = new JsonObject();
            error.addProperty("error", "no JSON result (exit " + r.exitCode() + "):\n" + r.output());
            return error;
        }
        return JsonParser.parseString(last).getAsJsonObject();
    }
}
