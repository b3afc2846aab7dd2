package io.shardmesh.server.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import io.shardmesh.common.cli.LogOptions;

/**
 * Logback's configuration for nodes and the command line, in code: one line per event on
 * stderr, so stdout stays for command output (time, level, the node's short id from NodeLog, the
 * component, the message); {@code io.shardmesh} at the level {@link LogOptions} sets, gRPC and
 * Netty at WARN. Parsing the same as an XML file cost a short command about 0.1 s of its start.
 *
 * <p>A configuration file still wins: {@code -Dlogback.configurationFile=...}, or a
 * {@code logback-test.xml} on the class path (the tests'), hands over to Logback's own
 * configurators. Registered in {@code META-INF/services}.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_LOW_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    /** The line format, the same for every process. */
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %X{node:--} [%logger{0}] %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty(ContextInitializer.CONFIG_FILE_PROPERTY) != null
                || LogConfigurator.class.getClassLoader().getResource(ContextInitializer.TEST_AUTOCONFIG_FILE) != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context, System.getProperty(LogOptions.PROPERTY));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Configures {@code context}, {@code io.shardmesh} at {@code level} (INFO when null or unknown). */
    static void apply(LoggerContext context, String level) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        context.getLogger("io.grpc").setLevel(Level.WARN);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.shardmesh").setLevel(Level.toLevel(level, Level.INFO));
    }
}
