package io.shardmesh.cli;

import io.shardmesh.common.error.MeshException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.impl.DumbTerminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;
import picocli.shell.jline3.PicocliJLineCompleter;

/**
 * {@code shardmesh shell}: a prompt that runs the same commands as the command line, against the
 * node given once, with line editing, history ({@code $SHARDMESH_HOME/history}) and tab
 * completion of commands, options and file names. Ctrl-C stops the running command (a {@code get}
 * removes its partial file); Ctrl-D or {@code exit} leaves. Given a script file, or with standard
 * input not a terminal, it reads commands from there, one a line, and exits with the last
 * command's code, as {@code sh} does.
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = "An interactive prompt for the other commands, with history and tab completion.",
        footer = {"", "Example:", "  shardmesh shell --node 127.0.0.1:7070",
            "  shardmesh> put photo.jpg", "  shardmesh> ls", "  shardmesh> get 3f1c...e9 -o copy.jpg",
            "  printf 'status\\nls\\n' | shardmesh shell", "  shardmesh shell backup.sm"})
final class ShellCommand implements Callable<Integer> {

    /** Commands that run until stopped, or nest: run them from the system shell instead. */
    private static final Set<String> NOT_HERE = Set.of("shell", "node", "up");

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCRIPT",
            description = "A file of commands to run, one a line, '#' starts a comment (default: standard input when it"
                    + " is not a terminal).")
    Path script;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        InputStream commands;
        try {
            commands = script == null ? System.in : Files.newInputStream(script);
        } catch (NoSuchFileException e) {
            throw MeshException.notFound("no such script: " + script);
        } catch (IOException e) {
            throw MeshException.invalidArgument("cannot read the script " + script + ": " + e.getMessage());
        }
        boolean interactive = script == null && System.console() != null;
        String previousNode = System.getProperty(GlobalOptions.NODE_PROPERTY);
        System.setProperty(GlobalOptions.NODE_PROPERTY, global.node().toString());
        int last = ExitCodes.OK;
        try (Terminal terminal = interactive
                ? TerminalBuilder.builder().system(true).build()
                : new DumbTerminal("shardmesh", Terminal.TYPE_DUMB, commands, System.out, StandardCharsets.UTF_8)) {
            if (!interactive) {
                terminal.echo(false);
            }
            LineReader reader = reader(terminal, interactive);
            Thread worker = Thread.currentThread();
            terminal.handle(Terminal.Signal.INT, signal -> worker.interrupt());
            if (interactive && !global.quiet) {
                out.printf("shardmesh shell on %s. 'help' lists the commands, Tab completes, Ctrl-D leaves.%n", global.node());
                out.flush();
            }
            while (true) {
                String line;
                try {
                    line = reader.readLine(interactive ? "shardmesh> " : "");
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    break;
                }
                List<String> words = reader.getParsedLine().words().stream().filter(w -> !w.isEmpty()).toList();
                if (words.isEmpty() || line.trim().startsWith("#")) {
                    continue;
                }
                if (words.get(0).equals("exit") || words.get(0).equals("quit")) {
                    break;
                }
                if (script == null && words.get(0).equals("put") && words.contains("-")) {
                    err.println("shardmesh shell: 'put -' reads standard input, which is this shell's: put a file instead");
                    err.flush();
                    last = ExitCodes.USAGE;
                    continue;
                }
                if (NOT_HERE.contains(words.get(0))) {
                    err.printf("shardmesh shell: run '%s' from your system shell, not inside this one%n", words.get(0));
                    err.flush();
                    last = ExitCodes.USAGE;
                    continue;
                }
                CommandLine command = ShardmeshCommand.commandLine();
                command.setOut(out);
                command.setErr(err);
                last = command.execute(words.toArray(new String[0]));
                // A Ctrl-C that landed after the command finished must not interrupt the next one.
                Thread.interrupted();
            }
        } finally {
            if (script != null) {
                commands.close();
            }
            if (previousNode == null) {
                System.clearProperty(GlobalOptions.NODE_PROPERTY);
            } else {
                System.setProperty(GlobalOptions.NODE_PROPERTY, previousNode);
            }
        }
        return last;
    }

    /** The line reader: history only when interactive, and no '!' history expansion ever. */
    static LineReader reader(Terminal terminal, boolean interactive) throws IOException {
        LineReaderBuilder builder = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("shardmesh")
                .parser(new DefaultParser())
                .completer(completer())
                // '!' is an ordinary character in values, names and keys, never a history reference.
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true);
        if (interactive) {
            builder.history(new PrivateHistory()).variable(LineReader.HISTORY_FILE, history());
        } else {
            builder.variable(LineReader.DISABLE_HISTORY, true);
        }
        return builder.build();
    }

    /** Completes the command tree (verbs, subcommands, options), and file names where a command takes a file. */
    static Completer completer() {
        return completer(() -> Path.of("").toAbsolutePath());
    }

    /** {@link #completer()} with file names relative to {@code cwd}. */
    static Completer completer(Supplier<Path> cwd) {
        CommandSpec root = ShardmeshCommand.commandLine().getCommandSpec();
        Completer commands = new PicocliJLineCompleter(root);
        Completer files = new Completers.FilesCompleter(cwd);
        return (reader, line, candidates) -> {
            if (takesFile(root, line)) {
                files.complete(reader, line, candidates);
            } else {
                commands.complete(reader, line, candidates);
            }
        };
    }

    /** Commands whose positional argument is a local file. */
    private static final Set<String> FILE_ARGUMENT = Set.of("put", "shell");

    /**
     * Whether the word under the cursor is a local file: the value of {@code -o}, or a positional
     * argument of {@code put}; not an option, nor an option's value.
     */
    static boolean takesFile(CommandSpec root, ParsedLine line) {
        List<String> words = line.words();
        int i = line.wordIndex();
        if (i < 1 || line.word().startsWith("-")) {
            return false;
        }
        String previous = words.get(i - 1);
        if (previous.equals("-o") || previous.equals("--output")) {
            return true;
        }
        CommandLine command = root.subcommands().get(words.get(0));
        if (command == null || !FILE_ARGUMENT.contains(words.get(0))) {
            return false;
        }
        OptionSpec option = previous.startsWith("-") ? command.getCommandSpec().findOption(previous) : null;
        return option == null ? !previous.startsWith("-") : option.arity().max() == 0;
    }

    /** What Tab offers after {@code line} (for tests). */
    static List<String> complete(String line) throws IOException {
        return complete(line, () -> Path.of("").toAbsolutePath());
    }

    /** What Tab offers after {@code line}, file names relative to {@code cwd} (for tests). */
    static List<String> complete(String line, Supplier<Path> cwd) throws IOException {
        try (Terminal t = new DumbTerminal(InputStream.nullInputStream(), OutputStream.nullOutputStream())) {
            LineReader reader = LineReaderBuilder.builder().terminal(t).build();
            List<Candidate> candidates = new ArrayList<>();
            ParsedLine parsed = new DefaultParser().parse(line, line.length());
            completer(cwd).complete(reader, parsed, candidates);
            // As the line reader does: offer what starts with the word under the cursor.
            return candidates.stream().map(Candidate::value).filter(v -> v.startsWith(parsed.word())).toList();
        }
    }

    /** The history file, readable by its owner only: lines may hold file ids and names. */
    private static Path history() throws IOException {
        Path file = ClientMesh.home().resolve("history");
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return file;
    }

    /** History that never records a line holding a capability: its key must stay in the user's hands. */
    static final class PrivateHistory extends DefaultHistory {
        private static final Pattern CAPABILITY = Pattern.compile("[0-9a-fA-F]{64}:\\S");

        @Override
        public void add(Instant time, String line) {
            if (!CAPABILITY.matcher(line).find()) {
                super.add(time, line);
            }
        }
    }
}
