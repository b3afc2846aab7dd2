package io.shardmesh.it.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.NodeTooling;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.NodeGrpc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * From outside Java, {@code buf curl} (the pinned npm package) learns the whole API from a real
 * node's server reflection, gets SERVING from the standard health service, and calls shardmesh
 * RPCs with JSON bodies it encodes from the reflected schema.
 */
class ReflectionHealthIT {

    /** buf curl: a failed RPC exits with its gRPC code shifted left by three bits. */
    private static final int NOT_FOUND_EXIT = 5 << 3;

    @TempDir
    Path dir;

    private Path buf;
    private String base;

    @Test
    void bufCurl_throughReflection_listsTheApi_checksHealth_andCallsRpcs() throws Exception {
        Path tools = NodeTooling.require();
        buf = tools.resolve("node_modules/.bin/buf");
        try (NodeProcess node = NodeProcess.start(dir.resolve("n1"))) {
            base = "https://127.0.0.1:" + node.port();

            NodeTooling.ProcessResult services = curl("--list-services", base);
            assertThat(services.exitCode()).as(services.output()).isZero();
            assertThat(services.output().lines().toList()).containsExactlyInAnyOrder(
                    "shardmesh.v1.Chunks", "shardmesh.v1.Dht", "shardmesh.v1.Files", "shardmesh.v1.Kv",
                    "shardmesh.v1.Node", "grpc.health.v1.Health",
                    "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");

            // Every method the Java stubs were generated with, as reflection tells it.
            NodeTooling.ProcessResult methods = curl("--list-methods", base);
            assertThat(methods.exitCode()).as(methods.output()).isZero();
            assertThat(methods.output().lines().toList()).containsAll(javaMethods());

            JsonObject health = json(curl("-d", "{}", base + "/grpc.health.v1.Health/Check"));
            assertThat(health.get("status").getAsString()).isEqualTo("SERVING");
            JsonObject filesHealth = json(curl("-d", "{\"service\":\"shardmesh.v1.Files\"}",
                    base + "/grpc.health.v1.Health/Check"));
            assertThat(filesHealth.get("status").getAsString()).isEqualTo("SERVING");

            JsonObject status = json(curl(base + "/shardmesh.v1.Node/Status"));
            assertThat(status.getAsJsonObject("node").get("nodeId").getAsString()).isEqualTo(node.nodeId());
            assertThat(status.get("listenAddress").getAsString()).isEqualTo("127.0.0.1:" + node.port());

            // JSON bodies in the proto's own field names, bytes as base64.
            String value = Base64.getEncoder().encodeToString("world, from buf curl".getBytes(StandardCharsets.UTF_8));
            JsonObject put = json(curl("-d", "{\"key\":\"interop/hello\",\"value\":\"" + value + "\"}",
                    base + "/shardmesh.v1.Kv/Put"));
            assertThat(put.get("dhtKey").getAsString()).matches("[0-9a-f]{64}");
            assertThat(put.get("storedCount").getAsInt()).isEqualTo(1);
            JsonObject got = json(curl("-d", "{\"key\":\"interop/hello\"}", base + "/shardmesh.v1.Kv/Get"));
            assertThat(got.get("value").getAsString()).isEqualTo(value);
            assertThat(got.get("publisherId").getAsString()).isEqualTo(node.nodeId());

            NodeTooling.ProcessResult missing = curl("-d", "{\"key\":\"interop/nobody-put-this\"}", base + "/shardmesh.v1.Kv/Get");
            assertThat(missing.exitCode()).as(missing.output()).isEqualTo(NOT_FOUND_EXIT);
            assertThat(missing.output()).contains("not_found");
        }
    }

    private NodeTooling.ProcessResult curl(String... args) throws Exception {
        // -k: the node's certificate is self-signed (its key is its identity), so no CA vouches for it.
        List<String> cmd = new ArrayList<>(List.of(buf.toString(), "curl", "--protocol", "grpc",
                "-k", "--timeout", "30s"));
        cmd.addAll(List.of(args));
        NodeTooling.ProcessResult r = NodeTooling.run(dir, 60, cmd.toArray(String[]::new));
        System.out.println("ReflectionHealthIT: buf curl " + String.join(" ", args) + " -> exit " + r.exitCode()
                + "\n" + r.output().strip());
        return r;
    }

    private static JsonObject json(NodeTooling.ProcessResult r) {
        assertThat(r.exitCode()).as(r.output()).isZero();
        return JsonParser.parseString(r.output()).getAsJsonObject();
    }

    private static List<String> javaMethods() {
        List<String> out = new ArrayList<>();
        for (ServiceDescriptor s : List.of(ChunksGrpc.getServiceDescriptor(), DhtGrpc.getServiceDescriptor(),
                FilesGrpc.getServiceDescriptor(), KvGrpc.getServiceDescriptor(), NodeGrpc.getServiceDescriptor())) {
            for (MethodDescriptor<?, ?> m : s.getMethods()) {
                out.add(m.getFullMethodName());
            }
        }
        assertThat(out).hasSizeGreaterThanOrEqualTo(20);
        return out;
    }
}
