package io.shardmesh.server.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

class LogConfiguratorTest {

    @Test
    void shardmeshAtTheChosenLevelLibrariesAtWarnOneLineOnStderr() {
        LoggerContext context = new LoggerContext();
        LogConfigurator.apply(context, "DEBUG");
        assertEquals(Level.DEBUG, context.getLogger("io.shardmesh").getLevel());
        assertTrue(context.getLogger("io.shardmesh.server.chunk.Pins").isDebugEnabled());
        assertEquals(Level.WARN, context.getLogger("io.grpc").getLevel());
        assertEquals(Level.WARN, context.getLogger("io.netty").getLevel());
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.WARN, root.getLevel());
        ConsoleAppender<?> stderr = (ConsoleAppender<?>) root.getAppender("STDERR");
        assertEquals("System.err", stderr.getTarget());
        assertTrue(stderr.isStarted());
    }

    @Test
    void aMissingOrUnknownLevelIsInfo() {
        for (String level : new String[] {null, "LOUD"}) {
            LoggerContext context = new LoggerContext();
            LogConfigurator.apply(context, level);
            assertEquals(Level.INFO, context.getLogger("io.shardmesh").getLevel(), String.valueOf(level));
        }
    }
}
