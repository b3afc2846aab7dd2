package io.shardmesh.common.tls;

import io.shardmesh.common.crypto.NodeKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * A key's certificate kept next to the key ({@code node.crt} beside {@code node.key}), so a
 * process that starts often (the CLI, a node restarted) reads it with the JDK alone instead of
 * making one: making it loads the certificate builder, a tenth of a second of a CLI command.
 * A file that does not hold a certificate of this very key, or one that expires within a
 * {@linkplain #RENEW_BEFORE month}, is made afresh. The certificate is public; the key stays in
 * its own file.
 */
public final class NodeCertificateFile {

    /** A certificate that expires sooner than this is made again. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private NodeCertificateFile() {
    }

    /** The certificate of {@code key} in {@code file}, made (and saved, if the directory allows) when missing or stale. */
    public static X509Certificate loadOrCreate(NodeKey key, Path file, Clock clock) {
        Optional<X509Certificate> kept = read(key, file, clock);
        if (kept.isPresent()) {
            return kept.get();
        }
        X509Certificate made = NodeCertificate.selfSigned(key, clock);
        try {
            write(made, file);
        } catch (IOException | CertificateException e) {
            // Read-only or full: the certificate still works, it is only made again next time.
        }
        return made;
    }

    private static Optional<X509Certificate> read(NodeKey key, Path file, Clock clock) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            String pem = Files.readString(file, StandardCharsets.US_ASCII);
            int begin = pem.indexOf("-----BEGIN CERTIFICATE-----");
            int end = pem.indexOf("-----END CERTIFICATE-----");
            if (begin < 0 || end < begin) {
                return Optional.empty();
            }
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            boolean ours = Arrays.equals(c.getPublicKey().getEncoded(), key.keyPair().getPublic().getEncoded());
            boolean fresh = c.getNotAfter().getTime() > clock.millis() + RENEW_BEFORE.toMillis()
                    && c.getNotBefore().getTime() <= clock.millis() + Duration.ofDays(1).toMillis();
            if (!ours || !fresh) {
                return Optional.empty();
            }
            c.verify(c.getPublicKey());
            return Optional.of(c);
        } catch (IOException | RuntimeException | java.security.GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    private static void write(X509Certificate c, Path file) throws IOException, CertificateException {
        String pem = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
