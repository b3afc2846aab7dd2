package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The header of an upload.
 *
 * @param chunkId the id the bytes must hash to
 * @param size the exact number of bytes that follow
 * @param pinTo a file to pin the chunk to once stored, with the owner's proof for that pin
 * @param session the writer's upload session, which {@code AbortUpload} ends
 */
public record ChunkUpload(ContentId chunkId, long size, Optional<PinRequest> pinTo, Optional<String> session) {

    /** Session names: random values a writer makes per put, of a length that cannot be guessed. */
    private static final Pattern SESSION = Pattern.compile("[A-Za-z0-9_-]{16,64}");

    public ChunkUpload {
        requireNonNull(chunkId, "chunkId");
        requireNonNull(pinTo, "pinTo");
        requireNonNull(session, "session");
        session.ifPresent(ChunkUpload::checkSession);
    }

    /** An upload outside any session. */
    public ChunkUpload(ContentId chunkId, long size, Optional<PinRequest> pinTo) {
        this(chunkId, size, pinTo, Optional.empty());
    }

    /**
     * Checks a session name.
     *
     * @throws io.shardmesh.common.error.MeshException INVALID_ARGUMENT unless 16..64 characters of [A-Za-z0-9_-]
     */
    public static String checkSession(String session) {
        if (!SESSION.matcher(session).matches()) {
            throw MeshException.invalidArgument(
                    "upload_session must be 16..64 characters of A-Z, a-z, 0-9, '_' and '-'");
        }
        return session;
    }

    /** A pin of one upload. */
    public record PinRequest(ContentId fileId, OwnerProof owner) {
        public PinRequest {
            requireNonNull(fileId, "fileId");
            requireNonNull(owner, "owner");
        }
    }
}
