package io.shardmesh.common.crypto;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.ContentId;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;

/**
 * An action only a file's owner may take, and the exact bytes the owner signs for it. The
 * formats are part of the wire API (see the comments on PinRequest, UnpinRequest and
 * FilesDeleteRequest in {@code chunks.proto} and {@code files.proto}): other languages sign the same
 * bytes.
 */
public record SignedAction(String verb, ContentId fileId, List<ContentId> chunkIds) {

    public SignedAction {
        requireNonNull(verb, "verb");
        requireNonNull(fileId, "fileId");
        chunkIds = List.copyOf(chunkIds);
    }

    public static SignedAction pin(ContentId fileId, Collection<ContentId> chunkIds) {
        return new SignedAction("Pin", fileId, List.copyOf(chunkIds));
    }

    /**
     * A repair pin: a node that rebuilt shards of a file it does not own pins them on their new
     * holder on the owner's behalf (valid only for shards the file's manifest lists, while the
     * owner has not deleted the file; see PinRequest in {@code chunks.proto}).
     */
    public static SignedAction repairPin(ContentId fileId, Collection<ContentId> chunkIds) {
        return new SignedAction("RepairPin", fileId, List.copyOf(chunkIds));
    }

    public static SignedAction unpin(ContentId fileId, Collection<ContentId> chunkIds) {
        return new SignedAction("Unpin", fileId, List.copyOf(chunkIds));
    }

    public static SignedAction delete(ContentId fileId) {
        return new SignedAction("Delete", fileId, List.of());
    }

    /** The UTF-8 bytes signed for this action at {@code signedAtUnixMs}. */
    public byte[] payload(long signedAtUnixMs) {
        StringBuilder b = new StringBuilder(96 + 65 * chunkIds.size())
                .append("shardmesh.v1.").append(verb).append('\n')
                .append(fileId.hex()).append('\n')
                .append(signedAtUnixMs);
        if (!verb.equals("Delete")) {
            b.append('\n');
            chunkIds.stream().map(ContentId::hex).sorted().forEach(h -> b.append(h).append('\n'));
            if (!chunkIds.isEmpty()) {
                b.setLength(b.length() - 1);
            }
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
