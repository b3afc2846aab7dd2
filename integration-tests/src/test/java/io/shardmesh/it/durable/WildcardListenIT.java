package io.shardmesh.it.durable;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.net.HostPort;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.ProcessCleanup;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.proto.v1.StatusRequest;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node told to listen on 0.0.0.0 without {@code --advertise} advertises an address its peers
 * can dial (one of this host's interfaces, never loopback while there is another), says so on
 * start, and a peer reaches it there.
 */
class WildcardListenIT {

    @TempDir
    Path dir;

    @RegisterExtension
    final ProcessCleanup cleanup = new ProcessCleanup();

    @Test
    void wildcardListenerWithoutAdvertise_advertisesAnInterfaceAddress_andWarns() throws Exception {
        List<String> interfaces = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (SocketException e) {
                        return false;
                    }
                })
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .map(InetAddress::getHostAddress).toList();

        NodeProcess wild = cleanup.add(NodeProcess.start(dir.resolve("wild"), "0.0.0.0", 0));
        // The harness dials it on 0.0.0.0, which Linux takes as this host.
        var self = NodeGrpc.newBlockingStub(wild.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance()).getNode();

        if (interfaces.isEmpty()) {
            assertThat(self.getHost()).isEqualTo("127.0.0.1");
            assertThat(wild.stderr()).contains("has no non-loopback address");
            return;
        }
        assertThat(self.getHost()).as("advertised host").isIn(interfaces);
        assertThat(HostPort.isLoopback(self.getHost())).isFalse();
        assertThat(self.getPort()).isEqualTo(wild.port());
        assertThat(wild.stderr()).contains("without --advertise: advertising " + self.getHost() + ":" + wild.port());

        // A peer on another address dials the advertised one and finds the node there.
        NodeProcess peer = cleanup.add(NodeProcess.start(dir.resolve("peer"), self.getHost(), 0,
                "--bootstrap", self.getHost() + ":" + wild.port()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean known = false;
        while (!known && System.nanoTime() < deadline) {
            known = NodeGrpc.newBlockingStub(peer.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listPeers(ListPeersRequest.getDefaultInstance()).getPeersList().stream()
                    .anyMatch(p -> p.getContact().getNodeId().equals(wild.nodeId())
                            && p.getContact().getHost().equals(self.getHost())
                            && p.getStatus() == PeerStatus.PEER_STATUS_ONLINE);
            Thread.sleep(100);
        }
        assertThat(known).as("the peer knows the wildcard node at its advertised address, online").isTrue();
        System.out.printf("DURABLE a node on 0.0.0.0 without --advertise advertises %s:%d; a peer reaches it there%n",
                self.getHost(), wild.port());
    }
}
