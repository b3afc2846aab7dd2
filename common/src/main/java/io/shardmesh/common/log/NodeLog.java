package io.shardmesh.common.log;

import io.shardmesh.common.id.NodeId;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Loggers that tag every event with a node's short id in the MDC key {@value #MDC_KEY}; the
 * log pattern prints it beside the component (the logger's class). The tag is put for the
 * one synchronous logging call only, so it is right whichever thread a reactive chain is on,
 * and several nodes in one process ({@code shardmesh up}, tests) log distinguishably.
 */
public final class NodeLog {

    /** The MDC key the log pattern prints. */
    public static final String MDC_KEY = "node";

    private static volatile String processTag = "-";

    private NodeLog() {
    }

    /** The short form of a node id used in logs: its first 8 hex digits, as git shortens hashes. */
    public static String tag(NodeId id) {
        return id.hex().substring(0, 8);
    }

    /** A logger for {@code component} in the node {@code node}. */
    public static Logger logger(Class<?> component, NodeId node) {
        String tag = tag(node);
        return new Tagged(LoggerFactory.getLogger(component), () -> tag);
    }

    /**
     * A logger for code that does not know its node (static helpers): it tags events with the
     * process's node, set by {@link #setProcessNode} when the process runs one node, else "-".
     */
    public static Logger logger(Class<?> component) {
        return new Tagged(LoggerFactory.getLogger(component), () -> processTag);
    }

    /** Declares that this process runs the one node {@code id}. */
    public static void setProcessNode(NodeId id) {
        processTag = tag(id);
    }

    private static final class Tagged extends LegacyAbstractLogger {

        private static final long serialVersionUID = 1L;

        private final transient Logger delegate;
        private final transient Supplier<String> tag;

        Tagged(Logger delegate, Supplier<String> tag) {
            this.delegate = delegate;
            this.tag = tag;
            this.name = delegate.getName();
        }

        @Override
        public boolean isTraceEnabled() {
            return delegate.isTraceEnabled();
        }

        @Override
        public boolean isDebugEnabled() {
            return delegate.isDebugEnabled();
        }

        @Override
        public boolean isInfoEnabled() {
            return delegate.isInfoEnabled();
        }

        @Override
        public boolean isWarnEnabled() {
            return delegate.isWarnEnabled();
        }

        @Override
        public boolean isErrorEnabled() {
            return delegate.isErrorEnabled();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return Tagged.class.getName();
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String message, Object[] args,
                Throwable throwable) {
            Object[] a = args;
            Throwable t = throwable;
            if (t == null && a != null) {
                t = MessageFormatter.getThrowableCandidate(a);
                if (t != null) {
                    a = MessageFormatter.trimmedCopy(a);
                }
            }
            String previous = MDC.get(MDC_KEY);
            MDC.put(MDC_KEY, tag.get());
            try {
                LoggingEventBuilder event = delegate.atLevel(level).setMessage(message);
                if (marker != null) {
                    event.addMarker(marker);
                }
                if (a != null) {
                    for (Object arg : a) {
                        event.addArgument(arg);
                    }
                }
                if (t != null) {
                    event.setCause(t);
                }
                event.log();
            } finally {
                if (previous == null) {
                    MDC.remove(MDC_KEY);
                } else {
                    MDC.put(MDC_KEY, previous);
                }
            }
        }
    }
}
