package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.manifest.ManifestCodec;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.NodeTooling;
import io.shardmesh.it.harness.Paths;
import io.shardmesh.it.harness.ProcessMesh;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.server.testing.Chunks;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * An encrypted file read with the wrong key, and one whose ciphertext was tampered with (a
 * manifest that hashes correctly, shards that match it, but a stripe that no longer passes
 * AES-GCM): {@code shardmesh get} exits 1 (PERMISSION_DENIED) and 4 (DATA_LOSS) respectively,
 * and writes nothing, not even a partial file, against real node processes.
 */
class HostileCiphertextIT {

    static final int SHARD = 4096;

    @TempDir
    Path dir;

    @Test
    void wrongKeyAndTamperedCiphertext_failClearly_andWriteNoPlaintext() throws Exception {
        try (ProcessMesh mesh = ProcessMesh.start(dir.resolve("mesh"), 3)) {
            String node = "127.0.0.1:" + mesh.node(0).port();
            Path secret = dir.resolve("secret.txt");
            byte[] plain = Chunks.random(3 * 2 * SHARD + 100, 11);
            Files.write(secret, plain);
            NodeTooling.ProcessResult put = cli("put", secret.toString(), "--encrypt", "-k", "2", "-m", "1",
                    "--shard-size", "4KiB", "--node", node, "--quiet");
            assertThat(put.exitCode()).as(put.output()).isZero();
            String capability = put.output().lines().filter(l -> l.matches("[0-9a-f]{64}:.+")).findFirst().orElseThrow();
            String fileId = capability.substring(0, 64);
            String key = capability.substring(65);

            Path out = Files.createDirectories(dir.resolve("out"));
            // The right key reads it back (the file and the CLI are sound).
            NodeTooling.ProcessResult ok = cli("get", capability, "-o", out.resolve("right").toString(), "--node", node);
            assertThat(ok.exitCode()).as(ok.output()).isZero();
            assertThat(out.resolve("right")).hasBinaryContent(plain);

            // The wrong key: PERMISSION_DENIED, exit 1, nothing written.
            String wrong = StripeCipher.capability(ContentId.fromHex(fileId), StripeCipher.newKey());
            NodeTooling.ProcessResult denied = cli("get", wrong, "-o", out.resolve("wrong").toString(), "--node", node);
            assertThat(denied.exitCode()).as(denied.output()).isEqualTo(1);
            assertThat(denied.output()).containsIgnoringCase("key");

            // Tampered ciphertext under a valid manifest: DATA_LOSS, exit 4, nothing written.
            String tamperedId = publishTampered(mesh, fileId);
            NodeTooling.ProcessResult loss = cli("get", tamperedId + ":" + key, "-o", out.resolve("tampered").toString(),
                    "--node", node);
            assertThat(loss.exitCode()).as(loss.output()).isEqualTo(4);

            try (Stream<Path> files = Files.list(out)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("right");
            }
            for (NodeProcess n : mesh.nodes()) {
                assertThat(n.healthy()).isTrue();
            }
        }
    }

    /**
     * Makes a file like {@code fileId} whose first stripe's ciphertext has one bit flipped, re-coded
     * and re-hashed so that every shard matches the new manifest, and has node 0 hold and
     * announce all of it. Only AES-GCM can tell.
     */
    private static String publishTampered(ProcessMesh mesh, String fileId) {
        ContentId id = ContentId.fromHex(fileId);
        FilesStatResponse stat = FileCalls.stat(mesh.node(0).channel(), fileId);
        Manifest m = ManifestCodec.parse(id, fetch(mesh, fileId));
        ErasureCodec codec = ErasureCodec.create(m.k(), m.m());
        byte[][] shards = new byte[m.k() + m.m()][];
        for (int j = 0; j < m.k(); j++) {
            String shard = m.stripes().get(0).get(j).hex();
            shards[j] = fetch(mesh.byId(stat.getStripes(0).getShards(j).getHolders(0).getNodeId()), shard);
        }
        byte[] sealed = codec.decode(shards, m.encodedStripeLength(0));
        sealed[0] ^= 1;
        byte[][] recoded = codec.encode(sealed, 0, sealed.length);
        List<List<ContentId>> stripes = new ArrayList<>(m.stripes());
        List<ContentId> first = new ArrayList<>();
        for (byte[] s : recoded) {
            first.add(Sha256.of(s));
        }
        stripes.set(0, first);
        Manifest tampered = new Manifest(m.size(), m.contentSha256(), m.name(), m.k(), m.m(), m.shardSize(), stripes,
                m.encryption(), m.ownerId());
        ContentId tamperedId = ManifestCodec.fileId(tampered);

        NodeKey owner = NodeKey.generate();
        var holder = ReactorChunksGrpc.newReactorStub(mesh.node(0).channel());
        List<byte[]> blobs = new ArrayList<>(List.of(recoded));
        blobs.add(ManifestCodec.toBytes(tampered));
        for (int i = 1; i < m.stripes().size(); i++) {
            for (int j = 0; j < m.k() + m.m(); j++) {
                blobs.add(fetch(mesh.byId(stat.getStripes(i).getShards(j).getHolders(0).getNodeId()),
                        m.stripes().get(i).get(j).hex()));
            }
        }
        for (byte[] blob : blobs) {
            ContentId chunk = Sha256.of(blob);
            List<PutChunkRequest> upload = new ArrayList<>(Chunks.upload(blob, 64 * 1024));
            upload.set(0, PutChunkRequest.newBuilder().setHeader(PutChunkHeader.newBuilder().setChunkId(chunk.hex())
                    .setSize(blob.length).setFileId(tamperedId.hex())
                    .setOwner(Chunks.pinProof(owner, tamperedId, List.of(chunk), System.currentTimeMillis()))).build());
            holder.withDeadlineAfter(30, TimeUnit.SECONDS).putChunk(Flux.fromIterable(upload)).block(Duration.ofSeconds(40));
        }
        return tamperedId.hex();
    }

    private static byte[] fetch(ProcessMesh mesh, String chunkId) {
        for (NodeProcess n : mesh.nodes()) {
            try {
                return fetch(n, chunkId);
            } catch (io.grpc.StatusRuntimeException e) {
                // Not on this node; the next one.
            }
        }
        throw new IllegalStateException("no node holds " + chunkId);
    }

    private static byte[] fetch(NodeProcess n, String chunkId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChunksGrpc.newBlockingStub(n.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .getChunk(GetChunkRequest.newBuilder().setChunkId(chunkId).build())
                .forEachRemaining(f -> out.writeBytes(f.getData().toByteArray()));
        return out.toByteArray();
    }

    private NodeTooling.ProcessResult cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.javaBin().toString(), "-Dshardmesh.home=" + dir.resolve("home"),
                "-jar", Paths.cliJar().toString()));
        cmd.addAll(List.of(args));
        return NodeTooling.run(dir, 120, cmd.toArray(String[]::new));
    }
}
