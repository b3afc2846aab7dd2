package io.shardmesh.cli;

import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.proto.v1.FileEntry;
import io.shardmesh.server.grpc.TransportSecurity;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import reactor.core.scheduler.Schedulers;

/** {@code shardmesh get} and {@code cat}: read a file straight from the nodes that hold its shards. */
@Command(name = "get", aliases = "download", mixinStandardHelpOptions = true,
        description = "Fetch a file by id or capability; written atomically, only after every byte checked out.",
        footer = {"", "Example:", "  shardmesh get 3f1c...e9 -o photo.jpg", "  shardmesh get photo.jpg -o copy.jpg",
            "  shardmesh get '3f1c...e9:Qk9...' -o -"})
class GetCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Parameters(index = "0", paramLabel = "ID|CAPABILITY|NAME",
            description = "A file id; <file-id>:<key> for an encrypted file; or the name of a file the node lists (ls).")
    String handle;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT|-",
            description = "Where to write (default: the stored name, in the current directory); - for stdout.")
    String output;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    /** Bytes to skip (cat). */
    long offset;

    /** Bytes to read; negative: to the end (cat). */
    long length = -1;

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** Longest stored name used as a file name, in UTF-8 bytes: file systems allow 255. */
    static final int MAX_NAME_BYTES = 200;

    /** A file id, a capability ({@code <file-id>:<key>}), or else a name. */
    private static final Pattern ID_OR_CAPABILITY = Pattern.compile("[0-9a-fA-F]{64}(:.*)?");

    /** Hex a little short or long of an id: more likely a copy-and-paste slip than a file's name. */
    private static final Pattern NEARLY_AN_ID = Pattern.compile("[0-9a-fA-F]{56,72}(:.*)?");

    record Handle(ContentId fileId, Optional<byte[]> key) {
        static Handle parse(String text) {
            int colon = text.indexOf(':');
            String id = colon < 0 ? text : text.substring(0, colon);
            return new Handle(Wire.contentId(id.trim(), "file id"),
                    colon < 0 ? Optional.empty() : Optional.of(StripeCipher.parseKey(text.substring(colon + 1))));
        }

        /**
         * {@link #parse} for ids and capabilities; anything else is a file name, looked up in
         * the files {@code node} and its online peers list ({@code ls --network}), so the answer
         * does not depend on which node is asked. A name must pick one file: several files of
         * that name is an error listing their ids.
         */
        static Handle resolve(String text, HostPort node, TransportSecurity security, java.io.PrintWriter err) {
            if (ID_OR_CAPABILITY.matcher(text.trim()).matches()) {
                return parse(text);
            }
            List<String> ids = LsCommand.known(node, security, true, "looking up the name '" + text + "'", err).files().values()
                    .stream().filter(f -> f.getName().equals(text)).map(FileEntry::getFileId).distinct().toList();
            if (ids.isEmpty()) {
                throw MeshException.notFound("no file named '" + text + "' at node " + node + " or its peers"
                        + nearlyAnId(text.trim())
                        .orElse(" (use a file id, or see '" + ShardmeshCommand.program() + " ls --network')"));
            }
            if (ids.size() > 1) {
                throw MeshException.failedPrecondition(ids.size() + " files are named '" + text + "': "
                        + String.join(", ", ids) + "; use a file id");
            }
            return parse(ids.get(0));
        }

        /** A hint when {@code text} looks like a file id with digits missing or extra. */
        private static Optional<String> nearlyAnId(String text) {
            if (!NEARLY_AN_ID.matcher(text).matches()) {
                return Optional.empty();
            }
            int digits = text.indexOf(':') < 0 ? text.length() : text.indexOf(':');
            return Optional.of("; it looks like a file id, but has " + digits + " hex digits where an id has 64"
                    + " (cut off when copied?)");
        }
    }

    @Override
    public Integer call() throws Exception {
        Handle h = Handle.resolve(handle, global.node(), global.security(), spec.commandLine().getErr());
        try (ClientMesh mesh = ClientMesh.connect(global.node(), global)) {
            FileGet.Resolved r = mesh.get.resolve(h.fileId(), h.key()).block(DemoCommand.STEP);
            if ("-".equals(output)) {
                toStream(mesh, r, h, System.out);
                return ExitCodes.OK;
            }
            String stored = safeName(r.name().orElse(h.fileId().hex()));
            Path target = output == null ? Path.of(stored)
                    // Only a directory the user named takes the stored name inside it.
                    : Files.isDirectory(Path.of(output)) ? Path.of(output).resolve(stored) : Path.of(output);
            if (output == null && Files.isDirectory(target)) {
                throw MeshException.failedPrecondition("the file is named '" + stored + "', which is a directory here;"
                        + " name the output with -o");
            }
            if (Files.exists(target) && !force) {
                throw MeshException.failedPrecondition(target + " exists; use --force to replace it");
            }
            Path dir = target.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                throw MeshException.invalidArgument("directory " + dir + (Files.exists(dir) ? " is not a directory"
                        : " does not exist") + "; nothing written");
            }
            Path tmp = dir.resolve(partialName(target.getFileName().toString()));
            // Ctrl-C or SIGTERM runs shutdown hooks, not the catch below: remove the partial file
            // there too. The hook exists before the file does.
            Interruption interruption = new Interruption(tmp, spec.commandLine().getErr());
            Thread cleanup = new Thread(interruption::run, "shardmesh-get-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                // Created like any new file (the umask decides who may read it), never over one.
                Files.createFile(tmp);
                download(mesh, r, h, tmp, target, interruption);
                interruption.commit(() -> commit(tmp, target));
            } catch (RuntimeException | IOException e) {
                Files.deleteIfExists(tmp);
                if (e instanceof FileAlreadyExistsException) {
                    throw MeshException.failedPrecondition(target + " exists; use --force to replace it");
                }
                throw e;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or ran: nothing to undo.
                }
            }
            long written = Files.size(target);
            if (!global.quiet && !global.json) {
                spec.commandLine().getErr().printf("wrote %s (%d bytes, checked)%n", target, written);
            }
            if (global.json) {
                // Not a wire message: sizes as JSON numbers, not proto3's 64-bit strings.
                spec.commandLine().getOut().printf("{\"fileId\": %s, \"name\": %s, \"size\": %d, \"written\": %d,"
                                + " \"path\": %s}%n", json(h.fileId().hex()), json(r.name().orElse("")), r.manifest().size(),
                        written, json(target.toString()));
                spec.commandLine().getOut().flush();
            }
        }
        return ExitCodes.OK;
    }

    private void download(ClientMesh mesh, FileGet.Resolved r, Handle h, Path tmp, Path target, Interruption interruption)
            throws IOException {
        long total = length < 0 ? r.manifest().size() - offset : Math.min(length, r.manifest().size() - offset);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
             Progress progress = interruption.showing(Progress.start("get " + target.getFileName(), total, global))) {
            // Bytes arrive only after their shards matched their ids: the bar counts checked bytes.
            mesh.get.read(r, h.key(), offset, Math.max(0, length))
                    .publishOn(Schedulers.boundedElastic(), 2)
                    .doOnNext(b -> progress.add(write(ch, b)))
                    .blockLast(Duration.ofHours(24));
            ch.force(true);
        }
    }

    /** {@code s} as a JSON string literal. */
    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** An I/O step. */
    private interface IoStep {
        void run() throws IOException;
    }

    /**
     * A get to a file as its shutdown hook sees it: Ctrl-C or SIGTERM before the checked file is
     * in place takes the progress bar off the screen, removes the partial file, and says that
     * nothing was written; once the file is in place, the hook does nothing.
     */
    private static final class Interruption {
        private final Path partial;
        private final java.io.PrintWriter err;
        private Progress progress;
        private boolean committed;
        private boolean stopped;

        Interruption(Path partial, java.io.PrintWriter err) {
            this.partial = partial;
            this.err = err;
        }

        synchronized Progress showing(Progress p) {
            this.progress = p;
            return p;
        }

        /** Runs {@code step} (the rename into place) unless the JVM is already stopping. */
        synchronized void commit(IoStep step) throws IOException {
            if (stopped) {
                throw MeshException.failedPrecondition("interrupted, nothing written");
            }
            step.run();
            committed = true;
        }

        synchronized void run() {
            if (committed) {
                return;
            }
            stopped = true;
            if (progress != null) {
                progress.close();
            }
            deleteQuietly(partial);
            err.println("shardmesh get: interrupted, nothing written");
            err.flush();
        }
    }

    /** Puts the checked file in place: replacing only with --force, else never over a file that appeared. */
    private void commit(Path tmp, Path target) throws IOException {
        if (force) {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            // A link fails if the target appeared meanwhile.
            Files.createLink(target, tmp);
            Files.delete(tmp);
        }
    }

    /** A hidden name beside the target, short enough for any file system (255 bytes). */
    static String partialName(String target) {
        return "." + truncate(target, 100) + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".shardmesh-partial";
    }

    /** At most {@code maxBytes} of UTF-8, cut between code points. */
    static String truncate(String s, int maxBytes) {
        StringBuilder b = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes + n > maxBytes) {
                break;
            }
            b.appendCodePoint(cp);
            bytes += n;
            i += Character.charCount(cp);
        }
        return b.toString();
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // Best effort while the JVM exits.
        }
    }

    void toStream(ClientMesh mesh, FileGet.Resolved r, Handle h, OutputStream out) {
        if (length == 0) {
            return;
        }
        mesh.get.read(r, h.key(), offset, Math.max(0, length))
                .publishOn(Schedulers.boundedElastic(), 2)
                .doOnNext(b -> {
                    try {
                        byte[] x = new byte[b.remaining()];
                        b.get(x);
                        out.write(x);
                    } catch (IOException e) {
                        throw MeshException.internal("writing the output failed: " + e.getMessage(), e);
                    }
                })
                .blockLast(Duration.ofHours(24));
        try {
            out.flush();
        } catch (IOException e) {
            throw MeshException.internal("writing the output failed: " + e.getMessage(), e);
        }
    }

    /** Writes all of {@code b}; the byte count. */
    private static int write(FileChannel ch, ByteBuffer b) {
        int n = b.remaining();
        try {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            return n;
        } catch (IOException e) {
            throw MeshException.internal("writing the output failed: " + e.getMessage(), e);
        }
    }

    /**
     * A stored name as a file name in the current directory: never a path (no separators, no
     * "." or ".."), no control characters; anything else falls back to the file id.
     */
    static String safeName(String name) {
        String base = name.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1);
        StringBuilder b = new StringBuilder();
        base.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f ? '_' : c));
        String s = shorten(b.toString().trim(), MAX_NAME_BYTES);
        return s.isEmpty() || s.equals(".") || s.equals("..") ? "shardmesh-file" : s;
    }

    /** The longest extension {@link #shorten} keeps, in UTF-8 bytes ({@code .tar.gz}, {@code .jpeg}). */
    private static final int MAX_EXTENSION_BYTES = 16;

    /**
     * At most {@code maxBytes} of UTF-8, keeping a short extension (so a shortened
     * {@code report.pdf} still opens as a PDF): the stem is cut, not the end.
     */
    static String shorten(String name, int maxBytes) {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= maxBytes) {
            return name;
        }
        int dot = name.lastIndexOf('.');
        String ext = dot > 0 ? name.substring(dot) : "";
        if (ext.isEmpty() || ext.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_EXTENSION_BYTES) {
            return truncate(name, maxBytes);
        }
        return truncate(name.substring(0, dot), maxBytes - ext.getBytes(java.nio.charset.StandardCharsets.UTF_8).length) + ext;
    }
}
