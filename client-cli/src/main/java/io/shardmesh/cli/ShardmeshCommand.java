package io.shardmesh.cli;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.server.node.NodeCommand;
import java.io.PrintWriter;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The root command. */
@Command(name = "shardmesh", mixinStandardHelpOptions = true, versionProvider = NodeCommand.Version.class,
        description = "Peer-to-peer, content-addressed, erasure-coded storage over gRPC.",
        subcommands = {NodeCommand.class, UpCommand.class, DemoCommand.class, PutCommand.class, GetCommand.class,
            CatCommand.class, StatCommand.class, LsCommand.class, RmCommand.class, StatusCommand.class, PeersCommand.class,
            KvCommand.class, ShellCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
            "  shardmesh node --listen 127.0.0.1:7070 --data-dir ./data/n1",
            "  shardmesh node --listen 127.0.0.1:7071 --data-dir ./data/n2 --bootstrap 127.0.0.1:7070",
            "  shardmesh status --node 127.0.0.1:7070",
            "  shardmesh kv put hello world --node 127.0.0.1:7070 && shardmesh kv get hello --node 127.0.0.1:7071"})
public final class ShardmeshCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** Set by the launcher from $SHARDMESH_PROGRAM. */
    static final String PROGRAM_PROPERTY = "shardmesh.program";

    /** How to spell this program in a suggestion: {@code ./shardmesh} in a checkout, as the launcher says. */
    static String program() {
        return System.getProperty(PROGRAM_PROPERTY, "shardmesh");
    }

    /** The configured command line, with the contract's exit codes and one-line errors. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ShardmeshCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        // `node` lives with the server; its client-side verb is added here, where the client is.
        cl.getSubcommands().get("node").addSubcommand(new CommandLine(new DrainCommand()));
        cl.setExecutionExceptionHandler(ShardmeshCommand::handleError);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("shardmesh: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return ExitCodes.USAGE;
        });
        return cl;
    }

    private static int handleError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (interrupted(e)) {
            Thread.interrupted();
            err.println(cl.getCommandSpec().qualifiedName() + ": interrupted");
            err.flush();
            return ExitCodes.INTERRUPTED;
        }
        MeshException me = StatusMapper.fromThrowable(e, "");
        String message = me.getMessage().startsWith(": ") ? me.getMessage().substring(2) : me.getMessage();
        err.println(cl.getCommandSpec().qualifiedName() + ": " + oneLine(message));
        if (parsed.originalArgs().contains("-v") || parsed.originalArgs().contains("--verbose")) {
            e.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.of(me.kind());
    }

    /** {@code message} on one line, however many a library's error text had (a proxy's HTML page, say). */
    static String oneLine(String message) {
        return message.lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining(" "));
    }

    private static boolean interrupted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }
}
