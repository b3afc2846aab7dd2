package io.shardmesh.it.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.NodeTooling;
import io.shardmesh.it.harness.Paths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distribution tarball unpacks and runs with nothing but a Java runtime. */
class DistributionIT {

    @TempDir
    Path dir;

    @Test
    void tarball_unpacked_runsTheDemo() throws Exception {
        Path tarball;
        try (Stream<Path> s = Files.list(Paths.repoRoot().resolve("client-cli/target"))) {
            tarball = s.filter(p -> p.getFileName().toString().matches("shardmesh-.*\\.tar\\.gz")).findFirst().orElseThrow();
        }
        NodeTooling.ProcessResult untar = NodeTooling.run(dir, 60, "tar", "xzf", tarball.toString());
        assertThat(untar.exitCode()).as(untar.output()).isZero();
        Path home;
        try (Stream<Path> s = Files.list(dir)) {
            home = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertThat(home.resolve("bin/shardmesh")).isExecutable();
        assertThat(home.resolve("packaging/shardmesh.service")).exists();
        NodeTooling.ProcessResult version = NodeTooling.run(dir, 60, home.resolve("bin/shardmesh").toString(), "--version");
        assertThat(version.output()).startsWith("shardmesh 0.");
        NodeTooling.ProcessResult demo = NodeTooling.run(dir, 120, home.resolve("bin/shardmesh").toString(), "demo", "--size", "1MiB");
        assertThat(demo.exitCode()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("Demo complete");
    }
}
