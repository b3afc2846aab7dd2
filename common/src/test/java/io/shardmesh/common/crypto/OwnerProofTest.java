package io.shardmesh.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnerProofTest {

    private static final long NOW = 1_800_000_000_000L;
    private final NodeKey owner = NodeKey.generate();
    private final ContentId file = ContentId.random();
    private final List<ContentId> chunks = List.of(ContentId.random(), ContentId.random());

    @Test
    void nodeKey_idIsSha256OfRawPublicKey() {
        assertThat(owner.publicKeyRaw()).hasSize(32);
        assertThat(owner.id()).isEqualTo(Sha256.of(owner.publicKeyRaw()).asNodeId());
        assertThat(Ed25519.raw(Ed25519.publicKey(owner.publicKeyRaw()))).isEqualTo(owner.publicKeyRaw());
    }

    @Test
    void verify_validProof_returnsSigner() {
        OwnerProof proof = owner.prove(SignedAction.unpin(file, chunks), NOW);
        assertThat(proof.verify(SignedAction.unpin(file, chunks), NOW + 1000)).isEqualTo(owner.id());
    }

    @Test
    void verify_chunkOrderDoesNotMatter() {
        OwnerProof proof = owner.prove(SignedAction.pin(file, chunks), NOW);
        assertThat(proof.verify(SignedAction.pin(file, List.of(chunks.get(1), chunks.get(0))), NOW)).isEqualTo(owner.id());
    }

    @Test
    void verify_otherAction_isPermissionDenied() {
        OwnerProof proof = owner.prove(SignedAction.pin(file, chunks), NOW);
        assertDenied(() -> proof.verify(SignedAction.unpin(file, chunks), NOW), "does not verify");
        assertDenied(() -> proof.verify(SignedAction.pin(ContentId.random(), chunks), NOW), "does not verify");
        assertDenied(() -> proof.verify(SignedAction.pin(file, chunks.subList(0, 1)), NOW), "does not verify");
    }

    @Test
    void verify_staleOrFutureProof_isPermissionDenied() {
        OwnerProof proof = owner.prove(SignedAction.delete(file), NOW);
        assertDenied(() -> proof.verify(SignedAction.delete(file), NOW + OwnerProof.MAX_CLOCK_SKEW.toMillis() + 1), "away from this node's clock");
        assertDenied(() -> proof.verify(SignedAction.delete(file), NOW - OwnerProof.MAX_CLOCK_SKEW.toMillis() - 1), "away from this node's clock");
    }

    @Test
    void verify_tamperedSignatureOrKey_isPermissionDenied() {
        OwnerProof proof = owner.prove(SignedAction.delete(file), NOW);
        byte[] sig = proof.signature();
        sig[0] ^= 1;
        assertDenied(() -> new OwnerProof(proof.publicKey(), NOW, sig).verify(SignedAction.delete(file), NOW), "does not verify");
        assertDenied(() -> new OwnerProof(NodeKey.generate().publicKeyRaw(), NOW, proof.signature())
                .verify(SignedAction.delete(file), NOW), "does not verify");
        assertDenied(() -> new OwnerProof(new byte[5], NOW, proof.signature()).verify(SignedAction.delete(file), NOW), "32 bytes");
    }

    @Test
    void payload_formatIsTheDocumentedWireFormat() {
        ContentId a = ContentId.fromHex("a".repeat(64));
        ContentId b = ContentId.fromHex("b".repeat(64));
        assertThat(new String(SignedAction.pin(file, List.of(b, a)).payload(7), StandardCharsets.UTF_8))
                .isEqualTo("shardmesh.v1.Pin\n" + file.hex() + "\n7\n" + a.hex() + "\n" + b.hex());
        assertThat(new String(SignedAction.unpin(file, List.of()).payload(7), StandardCharsets.UTF_8))
                .isEqualTo("shardmesh.v1.Unpin\n" + file.hex() + "\n7\n");
        assertThat(new String(SignedAction.delete(file).payload(7), StandardCharsets.UTF_8))
                .isEqualTo("shardmesh.v1.Delete\n" + file.hex() + "\n7");
    }

    private static void assertDenied(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(MeshException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.PERMISSION_DENIED));
    }
}
