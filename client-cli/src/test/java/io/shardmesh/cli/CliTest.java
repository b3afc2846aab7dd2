package io.shardmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.FilesPutHeader;
import io.shardmesh.proto.v1.FilesPutRequest;
import io.shardmesh.proto.v1.ReactorFilesGrpc;
import io.shardmesh.proto.v1.StatusResponse;
import io.shardmesh.server.grpc.NodeTransport;
import io.shardmesh.server.grpc.TransportSecurity;
import io.shardmesh.server.node.ShardmeshNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import reactor.core.publisher.Flux;

/** The real commands against real nodes on 127.0.0.1 (ports picked by the OS). */
class CliTest {

    @TempDir
    Path dir;

    private ShardmeshNode a;
    private ShardmeshNode b;

    @BeforeEach
    void start() throws Exception {
        a = ShardmeshNode.builder(dir.resolve("a")).listen(new HostPort("127.0.0.1", 0)).start();
        b = ShardmeshNode.builder(dir.resolve("b")).listen(new HostPort("127.0.0.1", 0))
                .configure(c -> c.withBootstrap(List.of(new HostPort("127.0.0.1", a.port())))).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (b.kademlia().table().size() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @AfterEach
    void stop() {
        b.close();
        a.close();
    }

    record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = ShardmeshCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private String node(ShardmeshNode n) {
        return "127.0.0.1:" + n.port();
    }

    /** Puts a small file named {@code name} (1 + 1 shards) through node a with this test's client key; its id. */
    private String putSmall(String name, String content) throws Exception {
        System.setProperty("shardmesh.home", dir.resolve("home").toString());
        Path in = dir.resolve(name);
        Files.writeString(in, content);
        Run put = run("put", in.toString(), "-k", "1", "-m", "1", "--node", node(a), "-q");
        assertThat(put.exit()).as(put.err()).isZero();
        return put.out().trim();
    }

    @Test
    void status_printsIdAndAddress() {
        Run r = run("status", "--node", node(a));
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains(a.id().hex()).contains("127.0.0.1:" + a.port()).contains("routing      1 contacts");
    }

    @Test
    void status_showsRepairAndScrub() {
        Run r = run("status", "--node", node(a));
        assertThat(r.out()).contains("repair       0 queued, 0 running, 0 done, 0 failed").contains("scrub        ");
    }

    @Test
    void nodeDrain_withNowhereToMoveTo_failsUnavailableInOneLine_andKeepsEverything() throws Exception {
        Path in = dir.resolve("d.bin");
        Files.write(in, new byte[50_000]);
        assertThat(run("put", in.toString(), "-k", "1", "-m", "1", "--node", node(a), "-q").exit()).isZero();
        long held = b.status().block().storedChunks();
        assertThat(held).isPositive();
        // Two nodes, and each stripe already on both: there is no other node to take b's shards.
        Run r = run("node", "drain", "--node", node(b));
        assertThat(r.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(r.err().strip().lines()).last().asString().contains("could not be placed on another node");
        assertThat(r.err()).doesNotContain("\tat ");
        assertThat(b.status().block().storedChunks()).as("b still holds and serves what it had").isEqualTo(held);
        assertThat(b.status().block().pinnedFiles()).isEqualTo(1);
    }

    @Test
    void status_json_parsesBackAsStatusResponse() throws Exception {
        Run r = run("status", "--node", node(a), "--json");
        assertThat(r.exit()).isZero();
        StatusResponse.Builder parsed = StatusResponse.newBuilder();
        JsonFormat.parser().merge(r.out(), parsed);
        assertThat(parsed.getNode().getNodeId()).isEqualTo(a.id().hex());
    }

    @Test
    void status_json_printsZerosToo_soAScriptTellsZeroFromMissing() throws Exception {
        Run r = run("status", "--node", node(a), "--json");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("\"pinnedFiles\": \"0\"").contains("\"storedChunks\": \"0\"")
                .contains("\"queued\": 0");
    }

    @Test
    void cat_lengthZeroPrintsNothing_aNegativeOffsetIsAUsageError() throws Exception {
        String id = putSmall("c.txt", "0123456789");
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(printed, true));
            assertThat(run("cat", id, "--length", "0", "--node", node(b)).exit()).isZero();
            assertThat(printed.size()).as("--length 0 prints nothing").isZero();
            assertThat(run("cat", id, "--offset", "3", "--length", "4", "--node", node(b)).exit()).isZero();
            assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo("3456");
        } finally {
            System.setOut(stdout);
        }
        Run negative = run("cat", id, "--offset", "-1", "--node", node(b));
        assertThat(negative.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(negative.err()).contains("--offset must be 0 or more, got -1");
    }

    @Test
    void get_intoAMissingDirectory_saysWhichAndWritesNothing() throws Exception {
        String id = putSmall("m.txt", "payload");
        Path missing = dir.resolve("no/such/dir");
        Run r = run("get", id, "-o", missing.resolve("x").toString(), "--node", node(a));
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().lines().toList()).singleElement().asString()
                .isEqualTo("shardmesh get: directory " + missing + " does not exist; nothing written");
        assertThat(dir.resolve("no")).doesNotExist();
    }

    @Test
    void get_json_saysWhatWasWritten() throws Exception {
        String id = putSmall("j.txt", "twelve bytes");
        Path out = dir.resolve("j-copy.txt");
        Run r = run("get", id, "-o", out.toString(), "--json", "--node", node(b));
        assertThat(r.exit()).as(r.err()).isZero();
        com.google.protobuf.Struct.Builder parsed = com.google.protobuf.Struct.newBuilder();
        JsonFormat.parser().merge(r.out(), parsed);
        assertThat(parsed.getFieldsOrThrow("fileId").getStringValue()).isEqualTo(id);
        assertThat(parsed.getFieldsOrThrow("name").getStringValue()).isEqualTo("j.txt");
        assertThat(parsed.getFieldsOrThrow("written").getNumberValue()).isEqualTo(12);
        assertThat(parsed.getFieldsOrThrow("path").getStringValue()).isEqualTo(out.toString());
        assertThat(r.out()).contains("\"size\": 12,");
        assertThat(GetCommand.json("a\"b\\c\n\u0001é")).isEqualTo("\"a\\\"b\\\\c\\u000a\\u0001é\"");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void get_ofAnIdWithADigitMissing_saysItLooksCutOff() {
        String cut = ContentId.random().hex().substring(1);
        Run r = run("get", cut, "--node", node(a));
        assertThat(r.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(r.err().lines().toList()).singleElement().asString()
                .contains("no file named '" + cut + "'").contains("has 63 hex digits where an id has 64");
    }

    @Test
    void put_ofNothingOrADirectory_isAUsageErrorInOneLine() throws Exception {
        Run empty = run("put", "", "--node", node(a));
        assertThat(empty.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(empty.err().lines().toList()).singleElement().asString().contains("no file named");
        Path folder = Files.createDirectories(dir.resolve("photos"));
        Run directory = run("put", folder.toString(), "--node", node(a));
        assertThat(directory.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(directory.err().lines().toList()).singleElement().asString()
                .contains(folder + " is a directory").contains("tar -c");
    }

    @Test
    void safeName_keepsTheExtensionWhenItShortensALongName() {
        String shortened = GetCommand.safeName("x".repeat(300) + ".txt");
        assertThat(shortened).endsWith(".txt").hasSize(GetCommand.MAX_NAME_BYTES);
        assertThat(GetCommand.safeName("é".repeat(150) + ".tar.gz").getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(GetCommand.MAX_NAME_BYTES);
        assertThat(GetCommand.safeName("é".repeat(150) + ".tar.gz")).endsWith(".gz");
        assertThat(GetCommand.safeName("y".repeat(300))).isEqualTo("y".repeat(GetCommand.MAX_NAME_BYTES));
    }

    @Test
    void peers_cleanupUnderTenMinutes_isRefusedNamingTheFloor_andColumnsLineUp() {
        Run r = run("peers", "--cleanup", "--older-than", "1", "--node", node(a));
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().lines().toList()).singleElement().asString().contains("must be at least 600 (10 min), got 1");
        List<String> table = run("peers", "--node", node(a)).out().lines().toList();
        assertThat(table).hasSize(2);
        assertThat(table.get(1).indexOf("127.0.0.1")).isEqualTo(table.get(0).indexOf("ADDRESS"));
        assertThat(table.get(1).indexOf(b.id().hex().substring(0, 16))).isEqualTo(table.get(0).indexOf("NODE ID"));
        String row = table.get(1);
        int lastSeen = table.get(0).indexOf("LAST SEEN");
        int rtt = table.get(0).indexOf("RTT");
        assertThat(row.substring(lastSeen, rtt)).matches("\\d+[smhd].* ago +");
        assertThat(row.charAt(lastSeen - 1)).isEqualTo(' ');
        assertThat(row.substring(rtt)).matches("-|\\d+ ms");
    }

    @Test
    void aBadNodeAddressFromTheEnvironment_isAUsageError_asWithTheOption() {
        String before = System.getProperty(GlobalOptions.NODE_PROPERTY);
        try {
            System.setProperty(GlobalOptions.NODE_PROPERTY, "garbage");
            Run fromEnv = run("status");
            assertThat(fromEnv.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(fromEnv.err().lines().toList()).singleElement().asString().contains("$SHARDMESH_NODE").contains("garbage");
        } finally {
            if (before == null) {
                System.clearProperty(GlobalOptions.NODE_PROPERTY);
            } else {
                System.setProperty(GlobalOptions.NODE_PROPERTY, before);
            }
        }
        assertThat(run("status", "--node", "garbage").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void rm_byAKeyThatDoesNotOwnTheFile_namesThatKey() throws Exception {
        String id = putSmall("owned.txt", "mine");
        io.shardmesh.common.crypto.NodeKey other = io.shardmesh.common.crypto.NodeKeyFile.loadOrCreate(dir, "other.key");
        Run r = run("rm", id, "--key", dir.resolve("other.key").toString(), "--node", node(a));
        assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
        assertThat(r.err().lines().toList()).singleElement().asString().contains(other.id().toString())
                .doesNotContain(a.id().toString());
        assertThat(run("stat", id, "--node", node(a)).exit()).as("still there").isZero();
    }

    /** Puts {@code data} through node {@code n} with Files.Put, as grpcurl would: the node owns the file and lists it. */
    private static String putThroughNode(ShardmeshNode n, String name, byte[] data) throws Exception {
        ManagedChannel ch = TransportSecurity.network(TransportSecurity.tls(NodeKey.generate(), Clock.systemUTC())
                .channel(NettyChannelBuilder.forAddress("127.0.0.1", n.port()), Optional.empty()));
        try {
            return ReactorFilesGrpc.newReactorStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .put(Flux.just(FilesPutRequest.newBuilder().setHeader(FilesPutHeader.newBuilder().setName(name).setK(1).setM(1)).build(),
                            FilesPutRequest.newBuilder().setData(ByteString.copyFrom(data)).build()))
                    .block(Duration.ofSeconds(30)).getFileId();
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void rm_ofANodesOwnFile_withThatNodesKey_throughAnotherNode_dropsItFromEveryList() throws Exception {
        System.setProperty("shardmesh.home", dir.resolve("home").toString());
        String id = putThroughNode(a, "gateway.txt", "put through a".getBytes(StandardCharsets.UTF_8));
        assertThat(run("ls", "--node", node(a), "-q").out().lines()).contains(id);
        Run rm = run("rm", id, "--key", dir.resolve("a").resolve("node.key").toString(), "--node", node(b));
        assertThat(rm.exit()).as(rm.err()).isZero();
        for (ShardmeshNode n : List.of(a, b)) {
            assertThat(run("ls", "--node", node(n), "-q").out()).as("listed at %s after rm", node(n)).doesNotContain(id);
        }
    }

    @Test
    void shell_runsAScriptFile_andCompletesFileNames() throws Exception {
        Path script = dir.resolve("setup.sm");
        Files.writeString(script, "# colours\nkv put colour green\nkv get colour -q\n");
        Run r = run("shell", script.toString(), "--node", node(a));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("green" + System.lineSeparator());
        Run missing = run("shell", dir.resolve("nope.sm").toString(), "--node", node(a));
        assertThat(missing.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("no such script");

        Files.writeString(dir.resolve("universe.bin"), "u");
        assertThat(ShellCommand.complete("put uni", () -> dir)).contains("universe.bin");
        assertThat(ShellCommand.complete("put --encrypt uni", () -> dir)).contains("universe.bin");
        assertThat(ShellCommand.complete("get x -o uni", () -> dir)).contains("universe.bin");
        assertThat(ShellCommand.complete("put --name uni", () -> dir)).as("a value, not a file").isEmpty();
        assertThat(ShellCommand.complete("sta", () -> dir)).contains("status").doesNotContain("universe.bin");
    }

    @Test
    void errors_areOneLineEvenWhenALibrarysTextHasMany() {
        assertThat(ShardmeshCommand.oneLine("UNAVAILABLE: HTTP status code 502\ninvalid content-type: text/html\n"
                + "headers: Metadata(:status=502)\n\n  <html>"))
                .isEqualTo("UNAVAILABLE: HTTP status code 502 invalid content-type: text/html headers: Metadata(:status=502) <html>");
    }

    @Test
    void kv_putOnOneNode_getOnTheOther() {
        Run put = run("kv", "put", "hello", "world", "--node", node(a));
        assertThat(put.exit()).as(put.err()).isZero();
        assertThat(put.out()).contains("stored 'hello' on 2 node(s)");
        Run get = run("kv", "get", "hello", "--node", node(b), "--quiet");
        assertThat(get.exit()).isZero();
        assertThat(get.out()).isEqualTo("world" + System.lineSeparator());
    }

    @Test
    void kv_getMissing_exitsThreeWithOneLine() {
        Run r = run("kv", "get", "nothing-here", "--node", node(b));
        assertThat(r.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(r.err().lines().toList()).singleElement().asString()
                .startsWith("shardmesh kv get: ").contains("no value is stored under key 'nothing-here'");
    }

    @Test
    void peers_listsTheOtherNode() {
        Run r = run("peers", "--node", node(b));
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("127.0.0.1:" + a.port()).contains("online");
    }

    /** TLS on one end and plaintext on the other: one line that says which, not a raw TLS error. */
    @Test
    void aTransportMismatch_exitsFiveNamingIt() throws Exception {
        Run plainAtTls = run("status", "--plaintext", "--node", node(a));
        assertThat(plainAtTls.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(plainAtTls.err().lines().toList()).singleElement().asString()
                .startsWith("shardmesh status: status at " + node(a) + ": ")
                .contains("this command runs --plaintext: a node with TLS, the default, drops plaintext connections");

        try (ShardmeshNode p = ShardmeshNode.builder(dir.resolve("p")).listen(new HostPort("127.0.0.1", 0))
                .transport(NodeTransport.plaintext()).start()) {
            Run tlsAtPlain = run("status", "--node", node(p));
            assertThat(tlsAtPlain.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
            assertThat(tlsAtPlain.err().lines().toList()).singleElement().asString()
                    .isEqualTo("shardmesh status: status at " + node(p) + ": the node answered in plaintext, not TLS (it runs"
                            + " node --plaintext); add --plaintext or set SHARDMESH_PLAINTEXT=1 to call it");
            assertThat(run("status", "--plaintext", "--node", node(p)).exit()).isZero();
        }
    }

    @Test
    void noNodeListening_exitsFiveWithAHint() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        Run r = run("status", "--node", "127.0.0.1:" + free);
        assertThat(r.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(r.err().lines().toList()).singleElement().asString()
                .startsWith("shardmesh status: ").contains("is a node running there?");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err()).contains("start one with 'shardmesh node'");
        // From a checkout the launcher says how it was called, and the hint spells it so.
        System.setProperty(ShardmeshCommand.PROGRAM_PROPERTY, "./shardmesh");
        try {
            assertThat(run("status", "--node", "127.0.0.1:" + free).err()).contains("start one with './shardmesh node'");
        } finally {
            System.clearProperty(ShardmeshCommand.PROGRAM_PROPERTY);
        }
    }

    @Test
    void demo_tellsTheStoryAndExitsZero() {
        Run r = run("demo", "--size", "3MiB");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("3. read it back through node 2: identical")
                .contains("5. read it again through node 1 with node 3 down: identical")
                .contains("(down)")
                .contains("Demo complete");
    }

    @Test
    void putThenGet_roundTripsThroughThePeers_atomicallyAndWithoutOverwriting() throws Exception {
        System.setProperty("shardmesh.home", dir.resolve("home").toString());
        Path in = dir.resolve("in.bin");
        byte[] data = new byte[300_000];
        new Random(5).nextBytes(data);
        Files.write(in, data);
        Run put = run("put", in.toString(), "-k", "1", "-m", "1", "--node", node(a), "-q");
        assertThat(put.exit()).as(put.err()).isZero();
        String id = put.out().trim();
        assertThat(id).hasSize(64);

        Path out = dir.resolve("out.bin");
        Run get = run("get", id, "-o", out.toString(), "--node", node(b));
        assertThat(get.exit()).as(get.err()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(data);

        Run again = run("get", id, "-o", out.toString(), "--node", node(b));
        assertThat(again.exit()).isEqualTo(ExitCodes.ERROR);
        assertThat(again.err()).contains("use --force");
        assertThat(run("get", id, "-o", out.toString(), "--force", "--node", node(b)).exit()).isZero();

        assertThat(run("get", ContentId.random().hex(), "-o", dir.resolve("x").toString(),
                "--node", node(a)).exit()).isEqualTo(ExitCodes.NOT_FOUND);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".shardmesh-partial"));
        }
    }

    @Test
    void putEncrypted_getWithTheWrongKey_failsAndLeavesNoFile() throws Exception {
        System.setProperty("shardmesh.home", dir.resolve("home").toString());
        Path in = dir.resolve("secret.txt");
        Files.writeString(in, "attack at dawn");
        Run put = run("put", in.toString(), "-k", "1", "-m", "1", "--encrypt", "--node", node(a), "-q");
        assertThat(put.exit()).as(put.err()).isZero();
        String cap = put.out().trim();
        Path ok = dir.resolve("ok.txt");
        assertThat(run("get", cap, "-o", ok.toString(), "--node", node(b)).exit()).isZero();
        assertThat(Files.readString(ok)).isEqualTo("attack at dawn");

        String wrong = cap.substring(0, 65) + StripeCipher.capability(
                ContentId.random(), StripeCipher.newKey()).substring(65);
        Path bad = dir.resolve("bad.txt");
        Run r = run("get", wrong, "-o", bad.toString(), "--node", node(b));
        assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
        assertThat(r.err().lines().toList()).singleElement().asString().contains("wrong key");
        assertThat(bad).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".shardmesh-partial"));
        }
    }

    @Test
    void statLsRm_showTheFileThenDeleteItEverywhere() throws Exception {
        String id = putSmall("listed.txt", "hello mesh");

        Run stat = run("stat", id, "--node", node(b));
        assertThat(stat.exit()).as(stat.err()).isZero();
        assertThat(stat.out()).contains("name     listed.txt").contains("1 data + 1 parity").contains("stripe 0");
        Run ls = run("ls", "--network", "--node", node(a), "-q");
        assertThat(ls.exit()).isZero();
        assertThat(ls.out().lines()).contains(id);
        Run table = run("ls", "--network", "--node", node(a));
        assertThat(table.out()).contains("LISTED AT");
        assertThat(table.out().lines().filter(l -> l.startsWith(id))).singleElement().asString().contains("2 of 2");

        Run rm = run("rm", id, "--node", node(a));
        assertThat(rm.exit()).as(rm.err()).isZero();
        assertThat(rm.out()).contains("deleted " + id);
        assertThat(run("get", id, "-o", dir.resolve("gone").toString(), "--node", node(b)).exit()).isEqualTo(ExitCodes.NOT_FOUND);
        for (ShardmeshNode n : List.of(a, b)) {
            for (String how : List.of("ls", "ls --network", "ls --json")) {
                List<String> args = new ArrayList<>(List.of(how.split(" ")));
                args.addAll(List.of("--node", node(n)));
                Run after = run(args.toArray(String[]::new));
                assertThat(after.exit()).isZero();
                assertThat(after.out()).as("%s at %s after rm", how, node(n)).doesNotContain(id);
            }
        }
    }

    @Test
    void bench_againstTheRunningNodes_printsFigures() {
        System.setProperty("shardmesh.home", dir.resolve("home").toString());
        Run r = run("bench", "--size", "4MiB", "--calls", "200", "--concurrency", "10", "--node", node(a));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("SHA-256").contains("put, 4+2").contains("get (median of 3)")
                .contains("bare grpc-java stream").contains("GetChunk streams").contains("unary: Dht.FindNode");
        // Every unary figure came from calls that succeeded.
        assertThat(r.out()).doesNotContain("errors:");
        // The benchmark file is unpinned afterwards: nothing of it stays pinned on the nodes.
        assertThat(a.status().block().pinnedFiles()).isZero();
        assertThat(b.status().block().pinnedFiles()).isZero();
    }

    @Test
    void safeName_neverEscapesTheDirectory() {
        assertThat(GetCommand.safeName("../../etc/passwd")).isEqualTo("passwd");
        assertThat(GetCommand.safeName("/abs/path.txt")).isEqualTo("path.txt");
        assertThat(GetCommand.safeName("..")).isEqualTo("shardmesh-file");
        assertThat(GetCommand.safeName("a\u0000b\nc")).isEqualTo("a_b_c");
        assertThat(GetCommand.safeName("dir\\win.txt")).isEqualTo("win.txt");
    }

    @Test
    void badUsage_exitsTwo() {
        assertThat(run("status", "--node", "not-an-address").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("frobnicate").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("kv", "put", "only-a-key").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void everyCommand_hasHelpWithAnExample() {
        for (String cmd : List.of("node", "up", "demo", "put", "get", "cat", "stat", "ls", "rm", "status", "peers", "kv", "shell", "bench")) {
            Run r = run(cmd, "--help");
            assertThat(r.exit()).as(cmd).isZero();
            assertThat(r.out()).as(cmd).contains("Example");
        }
    }

    @Test
    void logOptions_levelsAreCaseInsensitive_andABadLevelIsAUsageError() {
        assertThat(run("status", "--node", node(a), "--log-level", "debug").exit()).isZero();
        Run bad = run("status", "--node", node(a), "--log-level", "loud");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("--log-level").contains("loud");
    }

    @Test
    void getByName_findsTheOneFileOfThatName_andRefusesUnknownOrAmbiguousNames() throws Exception {
        Path in = dir.resolve("notes.txt");
        Files.writeString(in, "first");
        String id = run("put", in.toString(), "-k", "1", "-m", "1", "--node", node(a), "-q").out().trim();

        Run byName = run("get", "notes.txt", "-o", dir.resolve("copy.txt").toString(), "--node", node(a));
        assertThat(byName.exit()).as(byName.err()).isZero();
        assertThat(Files.readString(dir.resolve("copy.txt"))).isEqualTo("first");

        Run missing = run("get", "no-such-name.txt", "--node", node(a));
        assertThat(missing.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("no file named 'no-such-name.txt'");

        Files.writeString(in, "second");
        String other = run("put", in.toString(), "-k", "1", "-m", "1", "--node", node(a), "-q").out().trim();
        Run ambiguous = run("get", "notes.txt", "--node", node(a), "-o", dir.resolve("x").toString());
        assertThat(ambiguous.exit()).isEqualTo(ExitCodes.ERROR);
        assertThat(ambiguous.err()).contains(id).contains(other).contains("use a file id");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    @Test
    void get_whenEveryHolderStopsMidTransfer_failsAndLeavesNoFileBehind() throws Exception {
        Path in = dir.resolve("big.bin");
        byte[] data = new byte[64 << 20];
        new Random(7).nextBytes(data);
        Files.write(in, data);
        String id = run("put", in.toString(), "-k", "2", "-m", "0", "--node", node(a), "-q").out().trim();
        Path outDir = Files.createDirectory(dir.resolve("out"));
        Path target = outDir.resolve("copy.bin");

        CompletableFuture<Run> get = CompletableFuture.supplyAsync(
                () -> run("get", id, "-o", target.toString(), "--node", node(a)));
        // Stop every node the moment checked bytes start landing in the partial file.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        boolean midTransfer = false;
        while (!midTransfer && !get.isDone() && System.nanoTime() < deadline) {
            try (var files = Files.list(outDir)) {
                midTransfer = files.anyMatch(f -> f.getFileName().toString().endsWith(".shardmesh-partial")
                        && f.toFile().length() > 0);
            }
            Thread.onSpinWait();
        }
        assertThat(midTransfer).as("the get was caught while writing").isTrue();
        a.close();
        b.close();

        Run r = get.get(60, TimeUnit.SECONDS);
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(r.err().lines().toList()).singleElement().asString().startsWith("shardmesh get: ");
        try (var files = Files.list(outDir)) {
            assertThat(files.toList()).as("no output and no partial file").isEmpty();
        }
    }

    @Test
    void shell_runsCommandsFromStdin_andExitsWithTheLastCommandsCode() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(
                    ("# a script\nkv put colour blue\n\nkv get colour -q\nnode\nstatus\n").getBytes(StandardCharsets.UTF_8)));
            Run r = run("shell", "--node", node(a));
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("stored 'colour'").contains("blue" + System.lineSeparator()).contains(a.id().hex());
            assertThat(r.err()).contains("run 'node' from your system shell");

            System.setIn(new ByteArrayInputStream("kv get nothing-here\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("shell", "--node", node(b)).exit()).isEqualTo(ExitCodes.NOT_FOUND);
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void shell_completesVerbsAndSubcommands() throws Exception {
        assertThat(ShellCommand.complete("sta")).contains("stat", "status").doesNotContain("put");
        assertThat(ShellCommand.complete("kv ")).contains("get", "put");
        assertThat(ShellCommand.complete("get --f")).contains("--force");
    }

    @Test
    void shell_keepsBangsLiterally_andRefusesPutFromItsOwnStdin() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(
                    "kv put z \"a!!b!-1c\"\nput - --name x\nkv get z -q\n".getBytes(StandardCharsets.UTF_8)));
            Run r = run("shell", "--node", node(a));
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("a!!b!-1c" + System.lineSeparator());
            assertThat(r.err()).contains("'put -' reads standard input");
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void getByStoredName_neverWritesIntoADirectoryOfThatName_andLongNamesFit() throws Exception {
        Path in = dir.resolve("in.bin");
        Files.writeString(in, "payload");
        String longName = "n".repeat(300);
        String id = run("put", in.toString(), "-k", "1", "-m", "1", "--name", "subdir", "--node", node(a), "-q").out().trim();
        String longId = run("put", in.toString(), "-k", "1", "-m", "1", "--name", longName, "--node", node(a), "-q").out().trim();

        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Files.createDirectory(cwd.resolve("subdir"));
        Run intoDir = run("get", id, "-o", cwd.resolve("subdir").toString(), "--node", node(a));
        assertThat(intoDir.exit()).as("a directory named by -o takes the stored name").isZero();
        assertThat(cwd.resolve("subdir/subdir")).hasContent("payload");

        Run longOne = run("get", longId, "-o", cwd.toString(), "--node", node(a));
        assertThat(longOne.exit()).as(longOne.err()).isZero();
        assertThat(cwd.resolve("n".repeat(GetCommand.MAX_NAME_BYTES))).hasContent("payload");
        assertThat(GetCommand.partialName("é".repeat(200)).getBytes(StandardCharsets.UTF_8).length)
                .isLessThan(255);
    }

    @Test
    void getByStoredName_whenThatNameIsADirectoryHere_refusesInsteadOfWritingInsideIt() throws Exception {
        String name = "cli-test-dir-" + System.nanoTime();
        Path in = dir.resolve("in.bin");
        Files.writeString(in, "payload");
        String id = run("put", in.toString(), "-k", "1", "-m", "1", "--name", name, "--node", node(a), "-q").out().trim();
        Path here = Files.createDirectory(Path.of(name));
        try {
            Run r = run("get", id, "--node", node(a));
            assertThat(r.exit()).isEqualTo(ExitCodes.ERROR);
            assertThat(r.err()).contains("which is a directory here");
            try (var inside = Files.list(here)) {
                assertThat(inside.toList()).isEmpty();
            }
        } finally {
            Files.delete(here);
        }
    }

    @Test
    void shellHistory_isPrivate_skipsCapabilities_andNeverExpandsBangs() throws Exception {
        String previousHome = System.getProperty("shardmesh.home");
        System.setProperty("shardmesh.home", dir.resolve("home").toString());
        String capability = "ab".repeat(32) + ":c2VjcmV0";
        byte[] typed = ("status\ncat " + capability + "\nkv put z a!!b\n").getBytes(StandardCharsets.UTF_8);
        try (var t = new org.jline.terminal.impl.DumbTerminal(new ByteArrayInputStream(typed), OutputStream.nullOutputStream())) {
            var reader = ShellCommand.reader(t, true);
            assertThat(reader.readLine()).isEqualTo("status");
            assertThat(reader.readLine()).isEqualTo("cat " + capability);
            assertThat(reader.readLine()).isEqualTo("kv put z a!!b");
            reader.getHistory().save();
            Path history = dir.resolve("home/history");
            assertThat(Files.readString(history)).contains("status").contains("a!!b").doesNotContain(capability);
            assertThat(Files.getPosixFilePermissions(history))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        } finally {
            if (previousHome == null) {
                System.clearProperty("shardmesh.home");
            } else {
                System.setProperty("shardmesh.home", previousHome);
            }
        }
    }
}
