package io.shardmesh.it.harness;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A file stored on a {@link ProcessMesh} with {@code shardmesh put}, and where its shards went
 * ({@code shardmesh stat --json}).
 *
 * @param fileId the id {@code put} printed
 * @param sha256 SHA-256 of the original bytes
 * @param shares who holds which shard
 */
public record StoredFile(String fileId, String sha256, FileShares shares) {

    /** How long one CLI command may take (generous: a shared 2-core machine). */
    public static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);

    /** A node of the mesh and the shard of a stripe it holds. */
    public record Holder(int node, String chunkId) {
    }

    /**
     * Puts {@code file} through node {@code via} with k data and m parity shards of {@code shardSize},
     * then stats it through the same node.
     */
    public static StoredFile put(Cli cli, ProcessMesh mesh, int via, Path file, int k, int m, String shardSize)
            throws IOException, InterruptedException {
        Cli.Result put = cli.run(CLI_TIMEOUT, "put", file.toString(), "-k", "" + k, "-m", "" + m,
                "--shard-size", shardSize, "--node", mesh.node(via).address());
        check(put, "put");
        String fileId = put.stdout().trim();
        if (!fileId.matches("[0-9a-f]{64}")) {
            throw new IllegalStateException("put printed no file id: " + put.describe());
        }
        System.out.printf("MESH put %d bytes through node %d: %d ms (CLI process, JVM start included)%n",
                java.nio.file.Files.size(file), via, put.took().toMillis());
        Cli.Result stat = cli.run(CLI_TIMEOUT, "stat", fileId, "--json", "--node", mesh.node(via).address());
        check(stat, "stat");
        return new StoredFile(fileId, TestFiles.sha256(file), FileShares.parse(stat.stdout()));
    }

    private static void check(Cli.Result r, String what) {
        if (r.exitCode() != 0) {
            throw new IllegalStateException(what + " failed: " + r.describe());
        }
    }

    /**
     * {@code count} running nodes not in {@code except}, each holding a different shard of
     * stripe {@code stripe}, data shards first; fewer if the mesh has fewer.
     */
    public List<Holder> distinctHolders(ProcessMesh mesh, int stripe, int count, java.util.Set<Integer> except) {
        List<Holder> out = new ArrayList<>();
        for (int shard = 0; shard < shares.k() + shares.m() && out.size() < count; shard++) {
            for (int port : shares.holderPorts(stripe, shard)) {
                int i = mesh.indexOfPort(port);
                if (i >= 0 && !except.contains(i) && mesh.isRunning(i) && out.stream().noneMatch(h -> h.node() == i)) {
                    out.add(new Holder(i, shares.chunkId(stripe, shard)));
                    break;
                }
            }
        }
        return out;
    }
}
