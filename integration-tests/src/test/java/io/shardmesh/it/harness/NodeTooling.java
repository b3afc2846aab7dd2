package io.shardmesh.it.harness;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Node.js tooling pinned in {@code integration-tests/src/test/node} (package.json and its
 * lockfile), installed into {@code target/node} once per test JVM. Tests
 * that need it are skipped, with the reason, on machines without node and npm.
 */
public final class NodeTooling {

    private static Path installed;

    private NodeTooling() {
    }

    /** The installed tooling directory (with node_modules/), or the test is skipped. */
    public static synchronized Path require() throws IOException, InterruptedException {
        if (installed != null) {
            return installed;
        }
        assumeTrue(onPath("node") && onPath("npm"),
                "skipped: node and npm are not on the PATH (install Node.js 18+ to run the interop tests)");
        Path source = Paths.repoRoot().resolve("integration-tests/src/test/node");
        Path target = Paths.repoRoot().resolve("integration-tests/target/node");
        Files.createDirectories(target);
        for (String f : List.of("package.json", "package-lock.json")) {
            Files.copy(source.resolve(f), target.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        try (var files = Files.list(source)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".js") || f.toString().endsWith(".mjs")).toList()) {
                Files.copy(p, target.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        // The lockfile as of the last install: a changed lockfile (new or moved deps) installs again,
        // else a target/ left by an older checkout would lack them.
        Path stamp = target.resolve("node_modules/.shardmesh-installed-lock.json");
        byte[] lock = Files.readAllBytes(source.resolve("package-lock.json"));
        if (!Files.isRegularFile(stamp) || !Arrays.equals(Files.readAllBytes(stamp), lock)) {
            // `npm install` on a copy of the lockfile: it installs the locked versions, and unlike
            // `npm ci` it tolerates the platform packages npm leaves out of lockfiles it writes.
            ProcessResult r = run(target, 300, "npm", "install", "--no-audit", "--no-fund");
            if (r.exitCode() != 0) {
                throw new IllegalStateException("npm install failed in " + target + " (exit " + r.exitCode() + "):\n" + r.output());
            }
            Files.write(stamp, lock);
        }
        installed = target;
        return installed;
    }

    /** Runs a command to completion (bounded by {@code timeoutSeconds}), capturing stdout and stderr together. */
    public static ProcessResult run(Path dir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("<output lost: " + e.getMessage() + ">").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(5000);
            throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        reader.join(10_000);
        return new ProcessResult(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** Exit code and output of a finished command. */
    public record ProcessResult(int exitCode, String output) {
    }
}
