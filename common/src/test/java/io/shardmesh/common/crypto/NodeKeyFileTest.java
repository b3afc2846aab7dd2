package io.shardmesh.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.hash.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeKeyFileTest {

    @TempDir
    Path dir;

    @Test
    void loadOrCreate_firstStart_makesKeyWithMode600() throws Exception {
        NodeKey key = NodeKeyFile.loadOrCreate(dir);
        Path file = dir.resolve(NodeKeyFile.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(key.id()).isEqualTo(Sha256.of(key.publicKeyRaw()).asNodeId());
        assertThat(Files.readString(file)).contains("BEGIN PRIVATE KEY").contains("BEGIN PUBLIC KEY");
    }

    @Test
    void loadOrCreate_restart_keepsTheSameIdAndSigningKey() {
        NodeKey first = NodeKeyFile.loadOrCreate(dir);
        NodeKey again = NodeKeyFile.loadOrCreate(dir);
        assertThat(again.id()).isEqualTo(first.id());
        byte[] msg = "hello".getBytes();
        assertThat(io.shardmesh.common.crypto.Ed25519.verify(first.publicKeyRaw(), msg, again.sign(msg))).isTrue();
    }

    @Test
    void loadOrCreate_garbageKeyFile_failsWithTheFileName() throws Exception {
        Files.writeString(dir.resolve(NodeKeyFile.FILE_NAME), "not a key");
        assertThatThrownBy(() -> NodeKeyFile.loadOrCreate(dir)).hasMessageContaining("node.key");
    }
}
