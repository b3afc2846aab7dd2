package io.shardmesh.cli;

import io.shardmesh.common.cli.SizeConverter;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.common.units.Sizes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/** {@code shardmesh put}: stores a file from this machine straight onto the mesh's nodes. */
@Command(name = "put", mixinStandardHelpOptions = true,
        description = "Store a file (or stdin) on the mesh; prints its id (or its capability with --encrypt).",
        footer = {"", "Example:", "  shardmesh put photo.jpg", "  tar c dir | shardmesh put - --name dir.tar --encrypt"})
final class PutCommand implements Callable<Integer> {

    static final int READ_BYTES = 1 << 20;

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "The file to store, or - for standard input.")
    String source;

    @Option(names = "--name", description = "The name to store (default: the file's name).")
    String name;

    @Option(names = "-k", defaultValue = "" + TransferConfig.DEFAULT_K, description = "Data shards per stripe (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "-m", defaultValue = "" + TransferConfig.DEFAULT_M, description = "Parity shards per stripe (default: ${DEFAULT-VALUE}).")
    int m;

    @Option(names = "--shard-size", defaultValue = "1MiB", converter = SizeConverter.class,
            description = "Bytes per shard (default: ${DEFAULT-VALUE}).")
    long shardSize;

    @Option(names = "--encrypt", description = "Encrypt here with a fresh key; prints the capability, the key's only copy.")
    boolean encrypt;

    @Option(names = "--allow-degraded", description = "Store even when fewer than k + m live nodes can take a stripe's"
            + " shards; the file then survives fewer than m losses (the output says how many).")
    boolean allowDegraded;

    @Override
    public Integer call() throws Exception {
        if (source.isBlank()) {
            throw MeshException.invalidArgument("no file named: give a file to store, or - for standard input");
        }
        if (!source.equals("-") && Files.isDirectory(Path.of(source))) {
            Path base = Path.of(source).toAbsolutePath().normalize().getFileName();
            throw MeshException.invalidArgument(source + " is a directory; put stores one file (a directory as one"
                    + " archive: tar -c " + source + " | shardmesh put - --name " + (base == null ? "root" : base) + ".tar)");
        }
        String fileName = name != null ? name : source.equals("-") ? "stdin" : Path.of(source).getFileName().toString();
        FilePut.Options options = new FilePut.Options(fileName, k, m, (int) Math.min(Integer.MAX_VALUE, shardSize), encrypt,
                allowDegraded);
        InputStream in;
        long total = -1;
        try {
            if (!source.equals("-") && Files.isRegularFile(Path.of(source))) {
                total = Files.size(Path.of(source));
            }
            // Standard input is not ours to close (the shell reads its commands from it).
            in = source.equals("-") ? new FilterInputStream(System.in) {
                @Override
                public void close() {
                }
            } : Files.newInputStream(Path.of(source));
        } catch (NoSuchFileException e) {
            throw MeshException.notFound("no such file: " + source);
        }
        Flux<ByteBuffer> data = Flux.<ByteBuffer>generate(sink -> {
            try {
                byte[] buf = in.readNBytes(READ_BYTES);
                if (buf.length == 0) {
                    sink.complete();
                } else {
                    sink.next(ByteBuffer.wrap(buf));
                }
            } catch (IOException e) {
                sink.error(MeshException.internal("reading " + source + " failed: " + e.getMessage(), e));
            }
        }).subscribeOn(Schedulers.boundedElastic());
        try (ClientMesh mesh = ClientMesh.connect(global.node(), global); in) {
            FilePut.Result r;
            try (Progress progress = Progress.start("put " + fileName, total, global)) {
                r = mesh.put.put(options, data, progress::add).block(Duration.ofHours(24));
            }
            PrintWriter err = spec.commandLine().getErr();
            if (!global.quiet && !global.json) {
                r.warnings().forEach(w -> err.println("warning: " + w));
                err.printf("stored %s (%s) as %d data + %d parity shards per stripe on %d nodes: it survives the loss of"
                                + " any %d of a stripe's holders%n", fileName, Sizes.format(r.manifest().size()), k, m,
                        r.distinctHolders(), Math.max(0, r.lossesSurvived()));
                err.flush();
            }
            NodeClient.print(global, spec.commandLine().getOut(), Wire.putResponse(r), out -> out.println(r.handle()));
        }
        return ExitCodes.OK;
    }
}
