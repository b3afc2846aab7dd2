package io.shardmesh.cli;

import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileDelete;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.proto.v1.FilesDeleteRequest;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;


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
        try (ClientMesh client = ClientMesh.connect(global.node(), global)) {
            FileGet.Resolved r = client.get.resolve(h.fileId(), h.key()).block(DemoCommand.STEP);
            NodeId owner = r.manifest().ownerId();
            // A node's own file (put through it, this CLI acting with that node's key): deleted
            // through that node, so that it stops listing what was put through it.
            Optional<HostPort> ownerNode = client.node(owner).map(c -> new HostPort(c.host(), c.port()));
            if (owner.equals(client.owner.id()) && ownerNode.isEmpty()) {
                FileDelete.Deleted d = client.delete.delete(h.fileId(), client.owner.id()).block(DemoCommand.STEP);
                unpinned = d.holdersUnpinned();
                unreachable = d.holdersUnreachable();
            } else {
                // Not ours: perhaps the node's (put through it); the node decides.
                try (NodeClient node = new NodeClient(ownerNode.orElse(global.node()), global.security())) {
                    var d = node.call("rm", NodeClient.LOOKUP_DEADLINE,
                            stubs -> stubs.files().delete(FilesDeleteRequest.newBuilder().setFileId(h.fileId().hex()).build()));
                    unpinned = d.getHoldersUnpinned();
                    unreachable = d.getHoldersUnreachable();
                }
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
