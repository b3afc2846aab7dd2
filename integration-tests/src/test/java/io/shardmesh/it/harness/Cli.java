package io.shardmesh.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code shardmesh} command line run as its own process ({@code java -jar shardmesh-cli.jar
 * <args>}), the way users and scripts run it. Its home ({@code SHARDMESH_HOME}: the client key)
 * is a test directory, never {@code ~/.shardmesh}; it runs in that directory, and its stdout and
 * stderr go to files there, so a large output never blocks it on a pipe.
 */
public final class Cli {

    private final Path home;
    private final AtomicInteger runs = new AtomicInteger();

    /** A command line whose key and working directory are {@code home} (created if missing). */
    public Cli(Path home) throws IOException {
        this.home = Files.createDirectories(home);
    }

    public Path home() {
        return home;
    }

    /** Runs {@code shardmesh <args>} to completion, killing it after {@code timeout}. */
    public Result run(Duration timeout, String... args) throws IOException, InterruptedException {
        try (Running r = start(args)) {
            return r.await(timeout);
        }
    }

    /** Starts {@code shardmesh <args>} and returns at once. Close the result to be sure it ended. */
    public Running start(String... args) throws IOException {
        int n = runs.incrementAndGet();
        String base = "cli-" + n + "-" + (args.length == 0 ? "none" : args[0]);
        Path out = home.resolve(base + ".stdout");
        Path err = home.resolve(base + ".stderr");
        ProcessBuilder pb = new ProcessBuilder(Jvm.cli(List.of(args))).directory(home.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        env.remove("SHARDMESH_NODE");
        env.put("SHARDMESH_HOME", home.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        return new Running(p, String.join(" ", args), out, err, System.nanoTime());
    }

    /** A finished run. */
    public record Result(int exitCode, String stdout, String stderr, Duration took) {

        /** For assertion messages. */
        public String describe() {
            return "exit " + exitCode + " after " + took.toMillis() + " ms\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /** A run in progress. */
    public static final class Running implements AutoCloseable {

        private final Process process;
        private final String command;
        private final Path out;
        private final Path err;
        private final long startedNanos;

        private Running(Process process, String command, Path out, Path err, long startedNanos) {
            this.process = process;
            this.command = command;
            this.out = out;
            this.err = err;
            this.startedNanos = startedNanos;
        }

        public Process process() {
            return process;
        }

        /** Time since the process was started. */
        public Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startedNanos);
        }

        /** Waits for the end; kills the process and fails if it takes longer than {@code timeout}. */
        public Result await(Duration timeout) throws IOException, InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                throw new IllegalStateException("shardmesh " + command + " did not finish in " + timeout.toSeconds()
                        + " s; stderr:\n" + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err), elapsed());
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
