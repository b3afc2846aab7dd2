package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.id.ContentId;
import java.util.Optional;

/**
 * The header of an upload.
 *
 * @param chunkId the id the bytes must hash to
 * @param size the exact number of bytes that follow
 * @param pinTo a file to pin the chunk to once stored, with the owner's proof for that pin
 */
public record ChunkUpload(ContentId chunkId, long size, Optional<PinRequest> pinTo) {

    public ChunkUpload {
        requireNonNull(chunkId, "chunkId");
        requireNonNull(pinTo, "pinTo");
    }

    /** A pin of one upload. */
    public record PinRequest(ContentId fileId, OwnerProof owner) {
        public PinRequest {
            requireNonNull(fileId, "fileId");
            requireNonNull(owner, "owner");
        }
    }
}
