package io.shardmesh.cli;

import io.grpc.StatusRuntimeException;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.dht.DhtConfig;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.Lookup;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.proto.v1.DeleteRequest;
import io.shardmesh.proto.v1.FilesGrpc;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** {@code shardmesh rm}: owner-signed delete, propagated to every holder. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Delete a file you own: every holder unpins it and a tombstone hides it from readers.",
        footer = {"", "Example:", "  shardmesh rm 3f1c...e9"})
final class RmCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Parameters(index = "0", paramLabel = "ID|CAPABILITY")
    String handle;

    @Override
    public Integer call() throws Exception {
        GetCommand.Handle h = GetCommand.Handle.parse(handle);
        int unpinned;
        int unreachable;
        try (ClientMesh client = ClientMesh.connect(global.node())) {
            FileGet.Resolved r = client.get.resolve(h.fileId(), h.key()).block(DemoCommand.STEP);
            if (!r.manifest().ownerId().equals(client.owner.id())) {
                // Not ours: perhaps the node's (put through it); the node decides.
                try (NodeConnection c = new NodeConnection(global.node())) {
                    var d = FilesGrpc.newBlockingStub(c.channel()).withDeadlineAfter(KvCommand.DEADLINE_SECONDS, TimeUnit.SECONDS)
                            .delete(DeleteRequest.newBuilder().setFileId(h.fileId().hex()).build());
                    unpinned = d.getHoldersUnpinned();
                    unreachable = d.getHoldersUnreachable();
                } catch (StatusRuntimeException e) {
                    throw NodeConnection.failed(e, "rm at " + global.node());
                }
            } else {
                Map<String, Contact> holders = new LinkedHashMap<>();
                r.holders().values().forEach(list -> list.forEach(c -> holders.put(c.id().hex(), c)));
                List<Boolean> results = Flux.fromIterable(holders.values())
                        .flatMap(c -> client.mesh.unpin(c, h.fileId()).map(n -> true).onErrorResume(e -> Mono.just(false)), 8)
                        .collectList().block(DemoCommand.STEP);
                // The tombstone, signed by us (the owner), at the nodes closest to the file id.
                DhtConfig dht = DhtConfig.defaults();
                DhtRecord tomb = DhtRecord.sign(client.owner, h.fileId(), new DhtRecord.Tombstone(client.owner.id()),
                        System.currentTimeMillis(), dht.recordTtl());
                Lookup.nodes(h.fileId(), client.owner.id(), client.nodes, client.transport, dht, Clock.systemUTC(),
                                Schedulers.parallel(), ContactListener.NONE, c -> false)
                        .flatMapMany(found -> Flux.fromIterable(found.closest()))
                        .flatMap(c -> client.transport.store(c, tomb, dht.rpcTimeout()).onErrorResume(e -> Mono.just(false)), 8)
                        .blockLast(DemoCommand.STEP);
                unpinned = (int) results.stream().filter(b -> b).count();
                unreachable = results.size() - unpinned;
            }
        }
        if (!global.quiet) {
            spec.commandLine().getOut().printf("deleted %s: unpinned on %d holder(s)%s; its shards go at the next"
                    + " collection after the grace period%n", h.fileId(), unpinned,
                    unreachable == 0 ? "" : ", " + unreachable + " unreachable (they drop it when they see the tombstone)");
            spec.commandLine().getOut().flush();
        }
        return ExitCodes.OK;
    }
}
