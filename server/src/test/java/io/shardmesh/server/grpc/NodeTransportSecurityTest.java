package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.NodeKeyFile;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.grpc.GrpcDhtTransport;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.grpc.PeerIdentity;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PingRequest;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.TestChannels;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Nodes on their real ports with the default transport: TLS 1.3 bound to node identities, the
 * refusals the transport-security issue lists, and the DHT sender rule.
 */
class NodeTransportSecurityTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final Logger refusalLogger = (Logger) LoggerFactory.getLogger(TransportSecurity.class);
    private final ListAppender<ILoggingEvent> refused = new ListAppender<>();

    @BeforeEach
    void listen() {
        refused.start();
        refusalLogger.addAppender(refused);
        open.add(() -> refusalLogger.detachAppender(refused));
    }

    /** The refusals the node logged so far that start with {@code prefix}. */
    private List<String> refusals(String prefix) {
        return refused.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith(prefix)).toList();
    }

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private ShardmeshNode node(String name) throws Exception {
        ShardmeshNode n = ShardmeshNode.builder(dir.resolve(name)).listen(new HostPort("127.0.0.1", 0)).start();
        open.add(n);
        return n;
    }

    private ManagedChannel track(ManagedChannel ch) {
        open.add(() -> ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return ch;
    }

    private static HostPort address(ShardmeshNode n) {
        return new HostPort("127.0.0.1", n.port());
    }

    @Test
    void nodesJoinOverTls_statusSaysSo_andAnAnonymousTlsCallerIsServed() throws Exception {
        ShardmeshNode a = node("a");
        ShardmeshNode b = node("b");
        b.join(List.of(address(a))).block(WAIT);
        Await.until("both nodes to know each other", WAIT,
                () -> a.kademlia().table().entry(b.id()).isPresent() && b.kademlia().table().entry(a.id()).isPresent());

        var withKey = NodeGrpc.newBlockingStub(track(TestChannels.tls("127.0.0.1", a.port())))
                .withDeadlineAfter(10, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
        assertThat(withKey.getTransport()).isEqualTo(TransportSecurity.TLS);
        assertThat(withKey.getNode().getNodeId()).isEqualTo(a.id().hex());
        // As grpcurl -insecure, ghz --skipTLS and buf curl -k call: TLS without a certificate.
        var anonymous = NodeGrpc.newBlockingStub(track(TestChannels.anonymous("127.0.0.1", a.port())))
                .withDeadlineAfter(10, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
        assertThat(anonymous.getNode().getNodeId()).isEqualTo(a.id().hex());
    }

    @Test
    void aPlaintextClient_isRefusedUnavailable_andTheNodeLogsItOnce() throws Exception {
        ShardmeshNode a = node("a");
        for (int i = 0; i < 3; i++) {
            ManagedChannel plain = track(NettyChannelBuilder.forAddress("127.0.0.1", a.port()).usePlaintext().build());
            assertThatThrownBy(() -> NodeGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            Await.until("the node to log the refusal", WAIT,
                    () -> !refusals("refused a connection that did not complete the TLS handshake").isEmpty());
        }
        assertThat(refusals("refused a connection that did not complete the TLS handshake")).hasSize(1);
    }

    @Test
    void aCallMeantForAnotherNode_failsNamingTheNodeThatAnswered() throws Exception {
        ShardmeshNode a = node("a");
        NodeKey meant = NodeKey.generate();
        try (PeerChannels channels = new PeerChannels(TransportSecurity.tls(NodeKey.generate(), Clock.systemUTC()).channels())) {
            GrpcDhtTransport dht = new GrpcDhtTransport(channels, Optional::empty);
            // The address now hosts node a, a node rebuilt with a new key there, or an impostor.
            Contact stale = new Contact(meant.id(), "127.0.0.1", a.port());
            assertThatThrownBy(() -> dht.ping(stale, Duration.ofSeconds(10)).block(WAIT))
                    .satisfies(e -> {
                        var wrong = PeerIdentity.wrongPeer(e);
                        assertThat(wrong).as("the cause names who answered: %s", e).isPresent();
                        assertThat(wrong.get().expected()).isEqualTo(meant.id());
                        assertThat(wrong.get().answered()).contains(a.id());
                    })
                    .hasMessage("Ping " + stale + ": io exception: the peer is node " + a.id().hex() + ", not node "
                            + meant.id().hex() + " that was meant");
            // The same channels reach node a as itself.
            assertThat(dht.ping(new Contact(a.id(), "127.0.0.1", a.port()), Duration.ofSeconds(10)).block(WAIT).id())
                    .isEqualTo(a.id());
        }
    }

    @Test
    void aPlaintextNode_saysSoInStatus_andATlsClientCannotReachIt_andTheNodeLogsItOnce() throws Exception {
        ShardmeshNode p = ShardmeshNode.builder(dir.resolve("p")).listen(new HostPort("127.0.0.1", 0))
                .transport(NodeTransport.plaintext()).start();
        open.add(p);
        ManagedChannel plain = track(NettyChannelBuilder.forAddress("127.0.0.1", p.port()).usePlaintext().build());
        assertThat(NodeGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance()).getTransport()).isEqualTo(TransportSecurity.PLAINTEXT);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> NodeGrpc.newBlockingStub(track(TestChannels.tls("127.0.0.1", p.port())))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            Await.until("the node to log the refusal", WAIT,
                    () -> !refusals("refused a TLS connection: this node runs --plaintext").isEmpty());
        }
        // grpc-java logs each failed transport as it closes, just after the caller saw it fail.
        Thread.sleep(300);
        assertThat(refusals("refused a TLS connection: this node runs --plaintext")).hasSize(1);
        assertThat(refused.list).as("nothing else was logged as a refusal").hasSize(1);
    }

    /**
     * An impostor with a key of its own names node c as the sender: node a answers it, but never
     * learns c from it. Had a taken the claim, it would have pinged c back and c would know a. A
     * real node d that joins the same way afterwards shows the ping-back had time to happen.
     */
    @Test
    void aSenderThatIsNotTheConnectionsIdentity_isAnswered_butNeverEntersARoutingTable() throws Exception {
        ShardmeshNode a = node("a");
        ShardmeshNode c = node("c");
        Contact cContact = new Contact(c.id(), "127.0.0.1", c.port());
        ManagedChannel impostor = track(TestChannels.tls("127.0.0.1", a.port()));
        for (int i = 0; i < 3; i++) {
            var answer = DhtGrpc.newBlockingStub(impostor).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .ping(PingRequest.newBuilder().setSender(Wire.contact(cContact)).build());
            assertThat(answer.getResponder().getNodeId()).isEqualTo(a.id().hex());
        }
        // Node d's own key on the connection and as the sender: learnt.
        ShardmeshNode d = node("d");
        NodeKey dKey = NodeKeyFile.loadOrCreate(dir.resolve("d"));
        ManagedChannel honest = track(TransportSecurity.network(TransportSecurity.tls(dKey, Clock.systemUTC())
                .channel(NettyChannelBuilder.forAddress("127.0.0.1", a.port()), Optional.of(a.id()))));
        DhtGrpc.newBlockingStub(honest).withDeadlineAfter(10, TimeUnit.SECONDS)
                .ping(PingRequest.newBuilder().setSender(Wire.contact(new Contact(d.id(), "127.0.0.1", d.port()))).build());
        Await.until("node a to learn node d, which called as itself", WAIT, () -> a.kademlia().table().entry(d.id()).isPresent());
        assertThat(a.kademlia().table().entry(c.id())).isEmpty();
        assertThat(c.kademlia().table().entry(a.id())).as("node a never pinged node c").isEmpty();
    }

    @Test
    void senderRule_overTlsOnlyTheProvedIdentity_overPlaintextTheClaim() {
        NodeKey proved = NodeKey.generate();
        Contact self = new Contact(proved.id(), "127.0.0.1", 7070);
        Contact other = new Contact(NodeKey.generate().id(), "127.0.0.1", 7071);
        var remote = new InetSocketAddress("127.0.0.1", 40000);
        Caller.Info tls = new Caller.Info(remote, true, Optional.of(proved.id()));
        Caller.Info anonymous = new Caller.Info(remote, true, Optional.empty());
        Caller.Info plaintext = new Caller.Info(remote, false, Optional.empty());
        assertThat(DhtGrpcService.sender(tls, true, Wire.contact(self))).contains(self);
        assertThat(DhtGrpcService.sender(tls, true, Wire.contact(other))).isEmpty();
        assertThat(DhtGrpcService.sender(anonymous, true, Wire.contact(self))).isEmpty();
        assertThat(DhtGrpcService.sender(plaintext, true, Wire.contact(other))).contains(other);
        assertThat(DhtGrpcService.sender(tls, false, Wire.contact(self))).isEmpty();
    }
}
