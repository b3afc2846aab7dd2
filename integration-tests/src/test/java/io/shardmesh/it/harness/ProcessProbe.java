package io.shardmesh.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a running JVM's resources from outside: thread count and resident memory from
 * {@code /proc/<pid>/status} (Linux), heap in use from {@code jcmd <pid> GC.heap_info}.
 */
public final class ProcessProbe {

    private static final Pattern THREADS = Pattern.compile("(?m)^Threads:\\s+(\\d+)");
    private static final Pattern RSS_KB = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");
    /**
     * A heap or generation line of GC.heap_info: one for G1 ("garbage-first heap   total 262144K,
     * used 21504K [..."), one per generation for Serial and Parallel ("def new generation",
     * "tenured generation"). Metaspace lines have no "total" and are not heap.
     */
    private static final Pattern HEAP_USED_KB = Pattern.compile("total \\d+K, used (\\d+)K");

    private final long pid;

    public ProcessProbe(long pid) {
        this.pid = pid;
    }

    /** Whether this platform has /proc (the thread and RSS figures need it). */
    public static boolean procAvailable() {
        return Files.isReadable(Path.of("/proc/self/status"));
    }

    /** Threads and resident memory now. */
    public Sample sample() throws IOException {
        String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
        return new Sample(group(THREADS, status, "Threads"), group(RSS_KB, status, "VmRSS") * 1024);
    }

    /**
     * Heap in use in bytes; with {@code gcFirst}, right after a full collection ({@code GC.run}),
     * so the figure is what the process really keeps, not garbage not yet collected.
     */
    public long heapUsedBytes(boolean gcFirst) throws IOException, InterruptedException {
        Path jcmd = Paths.javaBin().resolveSibling("jcmd");
        if (gcFirst) {
            NodeTooling.ProcessResult gc = NodeTooling.run(Path.of("."), 60, jcmd.toString(), Long.toString(pid), "GC.run");
            if (gc.exitCode() != 0) {
                throw new IllegalStateException("jcmd GC.run failed (exit " + gc.exitCode() + "): " + gc.output());
            }
        }
        NodeTooling.ProcessResult info = NodeTooling.run(Path.of("."), 60, jcmd.toString(), Long.toString(pid), "GC.heap_info");
        if (info.exitCode() != 0) {
            throw new IllegalStateException("jcmd GC.heap_info failed (exit " + info.exitCode() + "): " + info.output());
        }
        return heapUsedKb(info.output()) * 1024;
    }

    /** The heap in use in a GC.heap_info report, in KiB: every generation's "used", summed. */
    static long heapUsedKb(String heapInfo) {
        Matcher m = HEAP_USED_KB.matcher(heapInfo);
        long kb = 0;
        boolean found = false;
        while (m.find()) {
            kb += Long.parseLong(m.group(1));
            found = true;
        }
        if (!found) {
            throw new IllegalStateException("no heap figure in jcmd GC.heap_info:\n" + heapInfo);
        }
        return kb;
    }

    private static long group(Pattern p, String text, String what) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no " + what + " in:\n" + text);
        }
        return Long.parseLong(m.group(1));
    }

    /** One look at the process. */
    public record Sample(long threads, long rssBytes) {
    }
}
