package io.shardmesh.cli;

import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.transfer.FileGet;
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
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import reactor.core.scheduler.Schedulers;

/** {@code shardmesh get} and {@code cat}: read a file straight from the nodes that hold its shards. */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = "Fetch a file by id or capability; written atomically, only after every byte checked out.",
        footer = {"", "Example:", "  shardmesh get 3f1c...e9 -o photo.jpg", "  shardmesh get '3f1c...e9:Qk9...' -o -"})
class GetCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Parameters(index = "0", paramLabel = "ID|CAPABILITY", description = "A file id, or <file-id>:<key> for an encrypted file.")
    String handle;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT|-",
            description = "Where to write (default: the stored name, in the current directory); - for stdout.")
    String output;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    /** Bytes to skip (cat). */
    long offset;

    /** Bytes to read; 0 to the end (cat). */
    long length;

    record Handle(ContentId fileId, Optional<byte[]> key) {
        static Handle parse(String text) {
            int colon = text.indexOf(':');
            String id = colon < 0 ? text : text.substring(0, colon);
            return new Handle(Wire.contentId(id.trim(), "file id"),
                    colon < 0 ? Optional.empty() : Optional.of(StripeCipher.parseKey(text.substring(colon + 1))));
        }
    }

    @Override
    public Integer call() throws Exception {
        Handle h = Handle.parse(handle);
        try (ClientMesh mesh = ClientMesh.connect(global.node())) {
            FileGet.Resolved r = mesh.get.resolve(h.fileId(), h.key()).block(DemoCommand.STEP);
            if ("-".equals(output)) {
                toStream(mesh, r, h, System.out);
                return ExitCodes.OK;
            }
            Path target = output != null ? Path.of(output) : Path.of(safeName(r.name().orElse(h.fileId().hex())));
            if (Files.isDirectory(target)) {
                target = target.resolve(safeName(r.name().orElse(h.fileId().hex())));
            }
            if (Files.exists(target) && !force) {
                throw MeshException.failedPrecondition(target + " exists; use --force to replace it");
            }
            Path dir = target.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".shardmesh-partial");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                mesh.get.read(r, h.key(), offset, length)
                        .publishOn(Schedulers.boundedElastic(), 2)
                        .doOnNext(b -> write(ch, b))
                        .blockLast(Duration.ofHours(24));
                ch.force(true);
            } catch (RuntimeException | IOException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            try {
                if (force) {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    // A link fails if the target appeared meanwhile: never overwrite without --force.
                    Files.createLink(target, tmp);
                    Files.delete(tmp);
                }
            } catch (FileAlreadyExistsException e) {
                Files.deleteIfExists(tmp);
                throw MeshException.failedPrecondition(target + " exists; use --force to replace it");
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            if (!global.quiet) {
                spec.commandLine().getErr().printf("wrote %s (%d bytes, checked)%n", target, Files.size(target));
            }
        }
        return ExitCodes.OK;
    }

    void toStream(ClientMesh mesh, FileGet.Resolved r, Handle h, OutputStream out) {
        mesh.get.read(r, h.key(), offset, length)
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

    private static void write(FileChannel ch, ByteBuffer b) {
        try {
            while (b.hasRemaining()) {
                ch.write(b);
            }
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
        String s = b.toString().trim();
        return s.isEmpty() || s.equals(".") || s.equals("..") ? "shardmesh-file" : s;
    }
}
