package io.shardmesh.it.harness;

import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Ends what a test started (node processes, meshes, CLI runs) after the test, passed or failed,
 * newest first. Register with {@code @RegisterExtension final ProcessCleanup cleanup = new ProcessCleanup();}
 * and wrap every start: {@code mesh = cleanup.add(ProcessMesh.start(...))}.
 */
public final class ProcessCleanup implements AfterEachCallback {

    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    /** Ends {@code c} after the test; returns it. */
    public synchronized <T extends AutoCloseable> T add(T c) {
        started.push(c);
        return c;
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) throws Exception {
        Exception first = null;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
