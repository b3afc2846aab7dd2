package io.shardmesh.it.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.NodeTooling;
import io.shardmesh.it.harness.Paths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distribution tarball unpacks and runs with nothing but a Java runtime. */
class DistributionIT {

    @TempDir
    Path dir;

    /** Unpacks the tarball into the temp dir; its top directory. */
    private Path unpack() throws Exception {
        Path tarball;
        try (Stream<Path> s = Files.list(Paths.repoRoot().resolve("client-cli/target"))) {
            tarball = s.filter(p -> p.getFileName().toString().matches("shardmesh-.*\\.tar\\.gz")).findFirst().orElseThrow();
        }
        NodeTooling.ProcessResult untar = NodeTooling.run(dir, 60, "tar", "xzf", tarball.toString());
        assertThat(untar.exitCode()).as(untar.output()).isZero();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    @Test
    void tarball_unpacked_runsTheDemo() throws Exception {
        Path home = unpack();
        assertThat(home.resolve("bin/shardmesh")).isExecutable();
        assertThat(home.resolve("packaging/shardmesh.service")).exists();
        NodeTooling.ProcessResult version = NodeTooling.run(dir, 60, home.resolve("bin/shardmesh").toString(), "--version");
        assertThat(version.output()).startsWith("shardmesh 0.");
        NodeTooling.ProcessResult demo = NodeTooling.run(dir, 120, home.resolve("bin/shardmesh").toString(), "demo", "--size", "1MiB");
        assertThat(demo.exitCode()).as(demo.output()).isZero();
        assertThat(demo.output()).contains("Demo complete");
    }

    @Test
    void systemdUnit_verifies_againstTheUnpackedDistribution() throws Exception {
        Path analyze = Stream.of(System.getenv("PATH").split(":")).map(d -> Path.of(d, "systemd-analyze"))
                .filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(analyze != null, "systemd-analyze is not installed: the unit file is not checked");
        Path home = unpack();
        // The unit as shipped, pointed at this unpacked copy instead of /opt and /etc.
        Path env = Files.copy(home.resolve("packaging/shardmesh.env"), dir.resolve("shardmesh.env"));
        String unit = Files.readString(home.resolve("packaging/shardmesh.service"))
                .replace("/opt/shardmesh/", home.toAbsolutePath() + "/")
                .replace("/etc/shardmesh/shardmesh.env", env.toAbsolutePath().toString());
        Path unitFile = Files.writeString(dir.resolve("shardmesh.service"), unit);
        NodeTooling.ProcessResult verify = NodeTooling.run(dir, 60, analyze.toString(), "verify", unitFile.toString());
        assertThat(verify.exitCode()).as(verify.output()).isZero();
        assertThat(verify.output()).as("systemd-analyze has no complaint").isBlank();
    }
}
