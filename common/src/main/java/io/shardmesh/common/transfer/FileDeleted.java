package io.shardmesh.common.transfer;

import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;

/**
 * NOT_FOUND because the file's owner deleted it (its tombstone is newer than every provider
 * record): holders that still keep its chunks drop them, and repair never brings it back.
 */
public final class FileDeleted extends MeshException {

    private static final long serialVersionUID = 1L;

    private final transient ContentId fileId;

    public FileDeleted(ContentId fileId) {
        super(ErrorKind.NOT_FOUND, "file " + fileId + " was deleted by its owner");
        this.fileId = fileId;
    }

    public ContentId fileId() {
        return fileId;
    }
}
