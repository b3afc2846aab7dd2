package io.shardmesh.cli.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.grpc.TransportSecurity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BareGrpcTest {

    Server server;
    ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        server = BareGrpc.serve(new HostPort("127.0.0.1", 0), TransportSecurity.plaintext());
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), InsecureChannelCredentials.create()).build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void stream_deliversEveryByteAsked() throws Exception {
        assertThat(BareGrpc.streamRate(channel, 8L << 20, 256 << 10, 4)).isPositive();
    }

    @Test
    void unaryLoad_countsEveryCallAndEveryFailure() throws Exception {
        BytesValue hello = BytesValue.newBuilder().setValue(ByteString.copyFromUtf8("hello")).build();
        UnaryLoad.Result ok = UnaryLoad.run(channel, BareGrpc.ECHO, () -> hello, 8, 500, 10_000);
        assertThat(ok.calls()).isEqualTo(500);
        assertThat(ok.errors()).isZero();
        assertThat(ok.p50Millis()).isPositive().isLessThanOrEqualTo(ok.p99Millis());

        MethodDescriptor<BytesValue, BytesValue> missing = BareGrpc.ECHO.toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName("shardmesh.bench.Bare", "Missing")).build();
        UnaryLoad.Result failed = UnaryLoad.run(channel, missing, () -> hello, 8, 100, 10_000);
        assertThat(failed.errors()).isEqualTo(100);
        assertThat(failed.firstError()).contains("UNIMPLEMENTED");
    }
}
