package io.shardmesh.common.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.shardmesh.common.id.NodeId;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class NodeLogTest {

    private final Logger target = (Logger) LoggerFactory.getLogger(NodeLogTest.class);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    @BeforeEach
    void attach() {
        events.start();
        target.addAppender(events);
        target.setLevel(Level.DEBUG);
    }

    @AfterEach
    void detach() {
        target.detachAppender(events);
    }

    @Test
    void everyEvent_carriesItsNodesTag_andTheComponent_evenWhenTwoNodesShareAThread() {
        NodeId a = NodeId.fromHex("ab".repeat(32));
        NodeId b = NodeId.fromHex("cd".repeat(32));
        NodeLog.logger(NodeLogTest.class, a).info("stored {} of {}", 1, 2);
        NodeLog.logger(NodeLogTest.class, b).warn("lost one");

        List<ILoggingEvent> got = events.list;
        assertThat(got).extracting(e -> e.getMDCPropertyMap().get(NodeLog.MDC_KEY)).containsExactly("abababab", "cdcdcdcd");
        assertThat(got).extracting(ILoggingEvent::getLoggerName).containsOnly(NodeLogTest.class.getName());
        assertThat(got.get(0).getFormattedMessage()).isEqualTo("stored 1 of 2");
        assertThat(MDC.get(NodeLog.MDC_KEY)).as("the tag does not leak into the thread").isNull();
    }

    @Test
    void aTrailingThrowable_isTheCause_notAnArgument() {
        IllegalStateException boom = new IllegalStateException("boom");
        NodeLog.logger(NodeLogTest.class, NodeId.fromHex("01".repeat(32))).warn("listener failed for {}", "x", boom);

        ILoggingEvent e = events.list.get(0);
        assertThat(e.getFormattedMessage()).isEqualTo("listener failed for x");
        assertThat(e.getThrowableProxy().getMessage()).isEqualTo("boom");
    }

    @Test
    void disabledLevels_areNotLogged_andAnOuterTagIsRestored() {
        target.setLevel(Level.INFO);
        MDC.put(NodeLog.MDC_KEY, "outer");
        try {
            NodeLog.logger(NodeLogTest.class, NodeId.fromHex("02".repeat(32))).debug("hidden");
            NodeLog.logger(NodeLogTest.class, NodeId.fromHex("02".repeat(32))).info("shown");
            assertThat(MDC.get(NodeLog.MDC_KEY)).isEqualTo("outer");
        } finally {
            MDC.remove(NodeLog.MDC_KEY);
        }
        assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("shown");
    }
}
