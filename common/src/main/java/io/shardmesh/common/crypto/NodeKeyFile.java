package io.shardmesh.common.crypto;

import io.shardmesh.common.log.NodeLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code <data-dir>/node.key}: the node's Ed25519 key pair as PEM (PKCS#8 private key and
 * X.509 public key), mode 600. Made on first start; the node id derived from it is stable
 * across restarts.
 */
public final class NodeKeyFile {

    /** File name inside the data dir. */
    public static final String FILE_NAME = "node.key";

    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

    private NodeKeyFile() {
    }

    /** Loads the key in {@code dataDir}, or makes and saves a new one if there is none. */
    public static NodeKey loadOrCreate(Path dataDir) {
        return loadOrCreate(dataDir, FILE_NAME);
    }

    /** The same, for a key file of another name (the command line's {@code client.key}). */
    public static NodeKey loadOrCreate(Path dataDir, String fileName) {
        Path file = dataDir.resolve(fileName);
        try {
            if (Files.exists(file)) {
                return load(file);
            }
            NodeKey key = NodeKey.generate();
            save(key, file, fileName);
            NodeLog.logger(NodeKeyFile.class, key.id()).info("made a new identity {} in {}", key.id(), file);
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the node key " + file + ": " + e.getMessage(), e);
        }
    }

    static NodeKey load(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        byte[] privateDer = null;
        byte[] publicDer = null;
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (m.group(1)) {
                case "PRIVATE KEY" -> privateDer = der;
                case "PUBLIC KEY" -> publicDer = der;
                default -> { }
            }
        }
        if (privateDer == null || publicDer == null) {
            throw new IOException(file + " is not a Shardmesh node key (expected a PRIVATE KEY and a PUBLIC KEY PEM block)");
        }
        try {
            KeyFactory f = KeyFactory.getInstance("Ed25519");
            return NodeKey.of(new KeyPair(f.generatePublic(new X509EncodedKeySpec(publicDer)),
                    f.generatePrivate(new PKCS8EncodedKeySpec(privateDer))));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(file + " holds no valid Ed25519 key: " + e.getMessage(), e);
        }
    }

    private static void save(NodeKey key, Path file, String fileName) throws IOException {
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        String pem = "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.keyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n"
                + "-----BEGIN PUBLIC KEY-----\n" + b64.encodeToString(key.keyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        Path tmp = file.resolveSibling(fileName + ".tmp");
        Files.deleteIfExists(tmp);
        // Created with mode 600 from the start: the private key is never readable by others.
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            Files.move(tmp, file);
        }
    }
}
