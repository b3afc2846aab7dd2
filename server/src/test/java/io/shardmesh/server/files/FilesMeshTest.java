package io.shardmesh.server.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.proto.v1.FileEntry;
import io.shardmesh.proto.v1.FilesDeleteRequest;
import io.shardmesh.proto.v1.FilesGetRequest;
import io.shardmesh.proto.v1.FilesGetResponse;
import io.shardmesh.proto.v1.FilesListRequest;
import io.shardmesh.proto.v1.FilesPutHeader;
import io.shardmesh.proto.v1.FilesPutRequest;
import io.shardmesh.proto.v1.FilesPutResponse;
import io.shardmesh.proto.v1.FilesStatRequest;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.ReactorFilesGrpc;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Chunks;
import io.shardmesh.server.testing.InProcessMesh;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;

/** Files end to end on six in-process nodes: k = 4, m = 2, 4 KiB shards (16 KiB stripes). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FilesMeshTest {

    static final int SHARD = 4096;
    static final int STRIPE = 4 * SHARD;
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private InProcessMesh mesh;
    private final List<ShardmeshNode> nodes = new ArrayList<>();

    @BeforeAll
    void start() {
        mesh = new InProcessMesh(dir);
        DhtConfig s = DhtConfig.defaults().withKademlia(KademliaConfig.defaults().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(10)));
        for (int i = 0; i < 6; i++) {
            ShardmeshNode n = mesh.start(s);
            if (i > 0) {
                n.kademlia().join(List.of(), List.of(InProcessMesh.address(nodes.get(0)))).block(WAIT);
            }
            nodes.add(n);
        }
        // Everyone learns everyone (each node's table is used for placement).
        for (ShardmeshNode n : nodes) {
            n.kademlia().join(List.of(), List.of(InProcessMesh.address(nodes.get(0)))).block(WAIT);
        }
    }

    @AfterAll
    void stop() {
        mesh.close();
    }

    private ReactorFilesGrpc.ReactorFilesStub files(ShardmeshNode n, List<ManagedChannel> opened) {
        ManagedChannel ch = mesh.clientChannel(n);
        opened.add(ch);
        return StreamFlow.chunkStreams(ReactorFilesGrpc.newReactorStub(ch)).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private FilesPutResponse put(ShardmeshNode via, byte[] data, String name, boolean encrypt) {
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            List<FilesPutRequest> msgs = new ArrayList<>();
            msgs.add(FilesPutRequest.newBuilder().setHeader(FilesPutHeader.newBuilder().setName(name).setK(4).setM(2)
                    .setShardSize(SHARD).setEncrypt(encrypt)).build());
            for (int off = 0; off < data.length; off += 7000) {
                msgs.add(FilesPutRequest.newBuilder().setData(ByteString.copyFrom(data, off, Math.min(7000, data.length - off))).build());
            }
            return files(via, chs).put(Flux.fromIterable(msgs)).block(WAIT);
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    private byte[] get(ShardmeshNode via, FilesGetRequest req) {
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            files(via, chs).get(req).doOnNext(f -> out.writeBytes(f.getData().toByteArray())).then().block(WAIT);
            return out.toByteArray();
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    private byte[] get(ShardmeshNode via, String fileId) {
        return get(via, FilesGetRequest.newBuilder().setFileId(fileId).build());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, SHARD - 1, SHARD, SHARD + 1, STRIPE - 1, STRIPE, STRIPE + 1, 5 * STRIPE + 123})
    void putThenGet_onAnotherNode_roundTripsEverySize(int size) {
        byte[] data = Chunks.random(size, size);
        FilesPutResponse r = put(nodes.get(0), data, "f" + size, false);
        assertThat(r.getSize()).isEqualTo(size);
        assertThat(r.getFileId()).hasSize(64);
        assertThat(get(nodes.get(3), r.getFileId())).isEqualTo(data);
    }

    @Test
    void get_atTheEndOrOfAnEmptyFile_isOneFrameNamingTheFile_andPastTheEndIsOutOfRange() {
        byte[] data = Chunks.random(1000, 9);
        String id = put(nodes.get(0), data, "ends", false).getFileId();
        String empty = put(nodes.get(0), new byte[0], "empty", false).getFileId();
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            List<FilesGetResponse> atEnd = files(nodes.get(1), chs)
                    .get(FilesGetRequest.newBuilder().setFileId(id).setOffset(1000).build()).collectList().block(WAIT);
            assertThat(atEnd).singleElement().satisfies(f -> {
                assertThat(f.getData().isEmpty()).isTrue();
                assertThat(f.getOffset()).isEqualTo(1000);
                assertThat(f.getFile().getName()).isEqualTo("ends");
                assertThat(f.getFile().getSize()).isEqualTo(1000);
            });
            List<FilesGetResponse> none = files(nodes.get(1), chs)
                    .get(FilesGetRequest.newBuilder().setFileId(empty).build()).collectList().block(WAIT);
            assertThat(none).singleElement().satisfies(f -> assertThat(f.getFile().getName()).isEqualTo("empty"));
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
        assertStatus(() -> get(nodes.get(1), FilesGetRequest.newBuilder().setFileId(id).setOffset(1001).build()),
                Status.Code.OUT_OF_RANGE);
    }

    @Test
    void put_sameContentAndOptionsTwice_givesTheSameFileId() {
        byte[] data = Chunks.random(30_000, 77);
        assertThat(put(nodes.get(1), data, "same", false).getFileId()).isEqualTo(put(nodes.get(1), data, "same", false).getFileId());
    }

    @Test
    void get_range_returnsThoseBytesOnly() {
        byte[] data = Chunks.random(3 * STRIPE + 500, 5);
        String id = put(nodes.get(0), data, "ranged", false).getFileId();
        byte[] part = get(nodes.get(2), FilesGetRequest.newBuilder().setFileId(id).setOffset(STRIPE - 10).setLength(STRIPE + 20).build());
        assertThat(part).isEqualTo(Arrays.copyOfRange(data, STRIPE - 10, 2 * STRIPE + 10));
    }

    @Test
    void get_everyLossSetOfTwoHolders_readsBack_andThreeDownIsUnavailable() {
        byte[] data = Chunks.random(3 * STRIPE + 99, 9);
        FilesPutResponse put = put(nodes.get(0), data, "lossy", false);
        // Six nodes for six shards: every stripe on six distinct nodes, or losing two could cost three.
        assertThat(put.getWarningsList()).isEmpty();
        String id = put.getFileId();
        for (int a = 0; a < nodes.size(); a++) {
            for (int b = a + 1; b < nodes.size(); b++) {
                mesh.down(nodes.get(a));
                mesh.down(nodes.get(b));
                try {
                    ShardmeshNode reader = firstUp(a, b, -1);
                    assertThat(get(reader, id)).as("nodes %d and %d down", a, b).isEqualTo(data);
                } finally {
                    mesh.up(nodes.get(a));
                    mesh.up(nodes.get(b));
                }
            }
        }
        mesh.down(nodes.get(1));
        mesh.down(nodes.get(2));
        mesh.down(nodes.get(3));
        try {
            assertThatThrownBy(() -> get(nodes.get(0), id))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE))
                    .hasMessageContaining("shards it needs");
        } finally {
            mesh.up(nodes.get(1));
            mesh.up(nodes.get(2));
            mesh.up(nodes.get(3));
        }
    }

    private ShardmeshNode firstUp(int... downIdx) {
        for (int i = 0; i < nodes.size(); i++) {
            final int idx = i;
            if (Arrays.stream(downIdx).noneMatch(d -> d == idx)) {
                return nodes.get(i);
            }
        }
        throw new IllegalStateException("all down");
    }

    @Test
    void get_holderWithACorruptedShard_isRoutedAround() throws Exception {
        byte[] data = Chunks.random(STRIPE, 11);
        FilesPutResponse r = put(nodes.get(0), data, "corrupt", false);
        FilesStatResponse stat = stat(nodes.get(0), r.getFileId());
        String firstShard = stat.getStripes(0).getShards(0).getChunkId();
        String holder = stat.getStripes(0).getShards(0).getHolders(0).getNodeId();
        ShardmeshNode h = nodes.stream().filter(n -> n.id().hex().equals(holder)).findFirst().orElseThrow();
        Path onDisk = h.config().dataDir().resolve("chunks").resolve(firstShard.substring(0, 2))
                .resolve(firstShard.substring(2, 4)).resolve(firstShard);
        byte[] bytes = Files.readAllBytes(onDisk);
        bytes[0] ^= 1;
        Files.write(onDisk, bytes);
        assertThat(get(nodes.get(5), r.getFileId())).isEqualTo(data);
        assertThat(onDisk).as("the bad copy was quarantined").doesNotExist();
    }

    @Test
    void get_holderThatStalls_isHedgedAround() {
        byte[] data = Chunks.random(2 * STRIPE, 13);
        FilesPutResponse r = put(nodes.get(0), data, "stall", false);
        FilesStatResponse stat = stat(nodes.get(0), r.getFileId());
        String holder = stat.getStripes(0).getShards(0).getHolders(0).getNodeId();
        ShardmeshNode h = nodes.stream().filter(n -> n.id().hex().equals(holder)).findFirst().orElseThrow();
        ShardmeshNode reader = nodes.stream().filter(n -> n != h).findFirst().orElseThrow();
        mesh.silence(h);
        try {
            long t0 = System.nanoTime();
            assertThat(get(reader, r.getFileId())).isEqualTo(data);
            // The stalled holder's calls only end at their deadline (20 s); the hedge does not wait for it.
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(12));
        } finally {
            mesh.up(h);
        }
    }

    @Test
    void encrypted_roundTripsWithTheCapability_andNeverWithoutTheKey() {
        byte[] data = Chunks.random(2 * STRIPE + 5, 17);
        FilesPutResponse r = put(nodes.get(0), data, "secret.txt", true);
        assertThat(r.getCapability()).startsWith(r.getFileId() + ":");
        String key = r.getCapability().substring(65);
        assertThat(get(nodes.get(4), FilesGetRequest.newBuilder().setFileId(r.getFileId()).setKey(key).build())).isEqualTo(data);
        String wrong = StripeCipher.capability(ContentId.random(),
                StripeCipher.newKey()).substring(65);
        assertStatus(() -> get(nodes.get(4), FilesGetRequest.newBuilder().setFileId(r.getFileId()).setKey(wrong).build()),
                Status.Code.PERMISSION_DENIED);
        assertStatus(() -> get(nodes.get(4), r.getFileId()), Status.Code.PERMISSION_DENIED);
        // The name is sealed: without the key, Stat shows none.
        assertThat(stat(nodes.get(1), r.getFileId()).getFile().getName()).isEmpty();
        assertThat(stat(nodes.get(1), r.getFileId()).getManifest().getName()).isEmpty();
    }

    @Test
    void stat_showsEveryShardAndItsHolder() {
        byte[] data = Chunks.random(2 * STRIPE, 19);
        FilesPutResponse r = put(nodes.get(2), data, "shares", false);
        FilesStatResponse s = stat(nodes.get(4), r.getFileId());
        assertThat(s.getFile().getName()).isEqualTo("shares");
        assertThat(s.getStripesList()).hasSize(2);
        s.getStripesList().forEach(stripe -> {
            assertThat(stripe.getShardsList()).hasSize(6);
            assertThat(stripe.getShardsList()).allSatisfy(sh -> assertThat(sh.getHoldersList()).isNotEmpty());
            // Six nodes, six shards: each on a different node.
            assertThat(stripe.getShardsList().stream().map(sh -> sh.getHolders(0).getNodeId()).distinct().count()).isEqualTo(6);
            assertThat(stripe.getLiveShards()).isEqualTo(6);
            assertThat(stripe.getLossesSurvivable()).isEqualTo(2);
        });
    }

    @Test
    void stat_probesTheHolders_soADownHolderShowsAsMissingNotAnnounced() {
        byte[] data = Chunks.random(2 * STRIPE, 20);
        FilesPutResponse r = put(nodes.get(1), data, "health", false);
        assertThat(r.getLossesSurvived()).isEqualTo(2);
        assertThat(r.getHolders()).isEqualTo(6);
        ShardmeshNode gone = nodes.get(3);
        mesh.down(gone);
        try {
            FilesStatResponse s = stat(nodes.get(0), r.getFileId());
            s.getStripesList().forEach(stripe -> {
                // Still announced by all six, but only five answer.
                assertThat(stripe.getShardsList()).allSatisfy(sh -> assertThat(sh.getHoldersList()).isNotEmpty());
                assertThat(stripe.getLiveShards()).isEqualTo(5);
                assertThat(stripe.getLossesSurvivable()).isEqualTo(1);
                assertThat(stripe.getShardsList()).anySatisfy(sh -> {
                    assertThat(sh.getHoldersList()).anyMatch(h -> h.getNodeId().equals(gone.id().hex()));
                    assertThat(sh.getLiveHoldersList()).isEmpty();
                });
            });
        } finally {
            mesh.up(gone);
        }
    }

    @Test
    void get_unknownFile_isNotFound_andBadIdIsInvalidArgument() {
        assertStatus(() -> get(nodes.get(0), ContentId.random().hex()), Status.Code.NOT_FOUND);
        assertStatus(() -> get(nodes.get(0), "nope"), Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void list_showsFilesPutThroughTheNodeAndThoseWhoseManifestItHolds() {
        byte[] data = Chunks.random(1000, 23);
        String id = put(nodes.get(1), data, "listed.bin", false).getFileId();
        var page = listAll(nodes.get(1));
        assertThat(page).anySatisfy(f -> {
            assertThat(f.getFileId()).isEqualTo(id);
            assertThat(f.getName()).isEqualTo("listed.bin");
            assertThat(f.getSize()).isEqualTo(1000);
            assertThat(f.getOwnerId()).isEqualTo(nodes.get(1).id().hex());
        });
        // Some node other than the gateway keeps the manifest, and lists it too.
        long listing = nodes.stream().filter(n -> listAll(n).stream().anyMatch(f -> f.getFileId().equals(id))).count();
        assertThat(listing).isGreaterThanOrEqualTo(2);
    }

    @Test
    void list_pagesWithATokenAndRejectsBadSizes() {
        for (int i = 0; i < 3; i++) {
            put(nodes.get(5), Chunks.random(100 + i, 100 + i), "page" + i, false);
        }
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            var stub = files(nodes.get(5), chs);
            var first = stub.list(FilesListRequest.newBuilder().setPageSize(2).build()).block(WAIT);
            assertThat(first.getFilesList()).hasSize(2);
            assertThat(first.getNextPageToken()).isNotEmpty();
            var second = stub.list(FilesListRequest.newBuilder().setPageSize(2)
                    .setPageToken(first.getNextPageToken()).build()).block(WAIT);
            assertThat(second.getFilesList()).isNotEmpty();
            assertThat(second.getFilesList()).doesNotContainAnyElementsOf(first.getFilesList());
            assertStatus(() -> stub.list(FilesListRequest.newBuilder().setPageSize(5000).build()).block(WAIT),
                    Status.Code.INVALID_ARGUMENT);
            assertStatus(() -> stub.list(FilesListRequest.newBuilder().setPageToken("x").build()).block(WAIT),
                    Status.Code.INVALID_ARGUMENT);
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    @Test
    void delete_byTheOwner_removesItEverywhere_andByAnotherNodeIsPermissionDenied() {
        byte[] data = Chunks.random(2 * STRIPE, 29);
        String id = put(nodes.get(2), data, "doomed", false).getFileId();
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            assertStatus(() -> files(nodes.get(3), chs).delete(FilesDeleteRequest.newBuilder()
                    .setFileId(id).build()).block(WAIT), Status.Code.PERMISSION_DENIED);
            assertThat(get(nodes.get(4), id)).isEqualTo(data);

            List<Long> pinnedBefore = nodes.stream().map(n -> n.status().block(WAIT).pinnedFiles()).toList();
            var d = files(nodes.get(2), chs).delete(FilesDeleteRequest.newBuilder().setFileId(id).build()).block(WAIT);
            assertThat(d.getHoldersUnpinned()).isEqualTo(6);
            assertThat(d.getHoldersUnreachable()).isZero();
            assertStatus(() -> get(nodes.get(4), id), Status.Code.NOT_FOUND);
            assertThat(listAll(nodes.get(2))).noneMatch(f -> f.getFileId().equals(id));
            // Every holder dropped its pins of the file; its shards go at the next collection after the grace period.
            for (int i = 0; i < nodes.size(); i++) {
                assertThat(nodes.get(i).status().block(WAIT).pinnedFiles()).as("files pinned on node %d", i)
                        .isEqualTo(pinnedBefore.get(i) - 1);
            }
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    @Test
    void putAgainAfterDelete_isReadableAndListedAgain() {
        byte[] data = Chunks.random(3000, 31);
        String id = put(nodes.get(2), data, "phoenix", false).getFileId();
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            files(nodes.get(2), chs).delete(FilesDeleteRequest.newBuilder().setFileId(id).build()).block(WAIT);
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
        assertStatus(() -> get(nodes.get(1), id), Status.Code.NOT_FOUND);
        assertThat(put(nodes.get(2), data, "phoenix", false).getFileId()).isEqualTo(id);
        assertThat(get(nodes.get(1), id)).isEqualTo(data);
        assertThat(listAll(nodes.get(2))).anyMatch(f -> f.getFileId().equals(id));
    }

    @Test
    void delete_fromAnotherHostWithoutTheOwnersSignature_isPermissionDenied() {
        String id = put(nodes.get(2), Chunks.random(500, 37), "guarded", false).getFileId();
        assertThatThrownBy(() -> nodes.get(2).files().delete(ContentId.fromHex(id),
                        Optional.empty(), new FilesService.Asker(Optional.empty(), false, false)).block(WAIT))
                .hasMessageContaining("needs the owner's signature");
        assertThat(get(nodes.get(0), id)).hasSize(500);
    }

    @Test
    void delete_overTls_isTheConnectionsIdentitys_whereverItCallsFrom() {
        String id = put(nodes.get(2), Chunks.random(500, 41), "tls-guarded", false).getFileId();
        // Over TLS being on the node's host counts for nothing: an anonymous caller ...
        assertThatThrownBy(() -> nodes.get(2).files().delete(ContentId.fromHex(id),
                        Optional.empty(), new FilesService.Asker(Optional.empty(), true, true)).block(WAIT))
                .hasMessageContaining("or a TLS connection with the owner's key");
        // ... or one whose certificate proves another key is refused ...
        assertThatThrownBy(() -> nodes.get(2).files().delete(ContentId.fromHex(id),
                        Optional.empty(), new FilesService.Asker(Optional.of(nodes.get(3).id()), true, true)).block(WAIT))
                .hasMessageContaining("may not delete it");
        assertThat(get(nodes.get(0), id)).hasSize(500);
        // ... and the owner's key (this node's: the file was put through it) deletes from anywhere.
        var d = nodes.get(2).files().delete(ContentId.fromHex(id), Optional.empty(),
                new FilesService.Asker(Optional.of(nodes.get(2).id()), true, false)).block(WAIT);
        assertThat(d.holdersUnpinned()).isPositive();
        assertStatus(() -> get(nodes.get(4), id), Status.Code.NOT_FOUND);
    }

    @Test
    void get_hugeLengthReadsToTheEnd_andAKeyOnAPlainFileIsIgnored() {
        byte[] data = Chunks.random(STRIPE + 10, 41);
        String id = put(nodes.get(0), data, "plain", false).getFileId();
        assertThat(get(nodes.get(1), FilesGetRequest.newBuilder().setFileId(id).setOffset(1).setLength(Long.MAX_VALUE).build()))
                .isEqualTo(Arrays.copyOfRange(data, 1, data.length));
        String someKey = StripeCipher.capability(ContentId.random(),
                StripeCipher.newKey()).substring(65);
        assertThat(get(nodes.get(1), FilesGetRequest.newBuilder().setFileId(id).setKey(someKey).build())).isEqualTo(data);
    }

    @Test
    void put_stripeLargerThanTheLimit_isInvalidArgument() {
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            var req = FilesPutRequest.newBuilder().setHeader(FilesPutHeader.newBuilder().setName("huge").setK(127)
                    .setShardSize(16 << 20)).build();
            assertStatus(() -> files(nodes.get(0), chs).put(Flux.just(req)).block(WAIT), Status.Code.INVALID_ARGUMENT);
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    private List<FileEntry> listAll(ShardmeshNode n) {
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            return files(n, chs).list(FilesListRequest.newBuilder().setPageSize(1000).build()).block(WAIT).getFilesList();
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    private FilesStatResponse stat(ShardmeshNode via, String id) {
        List<ManagedChannel> chs = new ArrayList<>();
        try {
            return files(via, chs).stat(FilesStatRequest.newBuilder().setFileId(id).build()).block(WAIT);
        } finally {
            chs.forEach(ManagedChannel::shutdownNow);
        }
    }

    private static void assertStatus(Runnable call, Status.Code code) {
        assertThatThrownBy(call::run).isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(code));
    }
}
