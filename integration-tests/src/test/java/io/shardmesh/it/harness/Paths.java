package io.shardmesh.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the build put things the integration tests use. */
public final class Paths {

    private Paths() {
    }

    /** The repository root. */
    public static Path repoRoot() {
        String p = System.getProperty("shardmesh.repo.root");
        Path root = p != null ? Path.of(p) : Path.of("..");
        return root.toAbsolutePath().normalize();
    }

    /** The CLI jar built by client-cli (with its lib/ beside it). */
    public static Path cliJar() {
        Path jar = repoRoot().resolve("client-cli/target/shardmesh-cli.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run 'mvn -B verify' from the repository root");
        }
        return jar;
    }

    /** The java executable running these tests (so child JVMs match). */
    public static Path javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }
}
