package io.shardmesh.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command line of a child JVM running the CLI jar ({@code java <flags> -jar shardmesh-cli.jar ...}).
 *
 * <p>The tests start a few hundred short-lived JVMs (CrashSafetyIT restarts one 50 times), so
 * start-up time is most of their wall time. Measured on the 2-core build machine, time from
 * exec to the node's "listening" line: plain {@code -Xmx256m} about 1.1 s; with C1 only
 * ({@code -XX:TieredStopAtLevel=1}) and the serial collector about the same on an idle machine
 * but steadier under load; with an AppCDS archive of the node's own classes as well, 0.5-0.8 s.
 * The archive is made once per test run (by starting and stopping one node) in
 * {@code integration-tests/target/cds}; a JVM that cannot use it (a different jar, a different
 * JDK) ignores it ({@code -Xshare:auto}) and starts the slow way.
 */
public final class Jvm {

    /** Small and quick to start: tests run several nodes on 2 shared cores. */
    static final List<String> FLAGS = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto");

    private static Path archive;
    private static boolean archiveTried;

    private Jvm() {
    }

    /** {@code java <flags> -jar <cli jar> <args>}. */
    public static List<String> cli(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.javaBin().toString());
        cmd.addAll(FLAGS);
        Path cds = cdsArchive();
        if (cds != null) {
            cmd.add("-XX:SharedArchiveFile=" + cds);
        }
        cmd.add("-jar");
        cmd.add(Paths.cliJar().toString());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * The class-data archive for this build of the jar, made on first use; null if it could
     * not be made (the tests then run without it, only slower).
     */
    static synchronized Path cdsArchive() {
        if (archiveTried) {
            return archive;
        }
        archiveTried = true;
        Path jar = Paths.cliJar();
        try {
            Path dir = Paths.repoRoot().resolve("integration-tests/target/cds");
            Files.createDirectories(dir);
            Path jsa = dir.resolve("node-" + Files.getLastModifiedTime(jar).toMillis() + ".jsa");
            if (!Files.isRegularFile(jsa)) {
                dump(jar, dir, jsa);
            }
            archive = Files.isRegularFile(jsa) ? jsa : null;
        } catch (IOException e) {
            System.out.println("JVM no class-data archive (" + e.getMessage() + "); child JVMs start without it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return archive;
    }

    /** Runs one node until it listens, then stops it with SIGTERM: the JVM writes the archive as it exits. */
    private static void dump(Path jar, Path dir, Path jsa) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Path data = Files.createTempDirectory(dir, "dump-node");
        Path out = dir.resolve("dump.stdout.log");
        Path tmp = dir.resolve(jsa.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.javaBin().toString());
        cmd.addAll(FLAGS);
        cmd.addAll(List.of("-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:disable", "-jar", jar.toString(),
                "node", "--listen", "127.0.0.1:0", "--data-dir", data.toString()));
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(dir.resolve("dump.stderr.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && p.isAlive() && !Files.readString(out).contains(" listening on ")) {
                Thread.sleep(50);
            }
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
            Files.move(tmp, jsa);
        }
        System.out.printf("JVM class-data archive %s in %d ms%n", Files.isRegularFile(jsa) ? "made" : "NOT made",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }
}
