package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.RawCall;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.server.testing.Chunks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import reactor.core.publisher.Flux;

/**
 * A protocol fuzz pass over every rpc of every shardmesh.v1 service, against one real node
 * process: random bytes, requests with every field set to a random or hostile value, and such
 * requests with their encoding mutated, each sent raw on the wire with a deadline. Every call
 * must end within its deadline plus slack with a clear status: never UNKNOWN, and never
 * INTERNAL (the node's word for a bug of its own); at the end the process is alive and serving.
 */
class HostileFuzzIT {

    static final int TRIES = 4000;
    static final Duration DEADLINE = Duration.ofSeconds(5);
    static final Duration SLACK = Duration.ofSeconds(10);

    static final List<MethodDescriptor<byte[], byte[]>> METHODS = new ArrayList<>();
    static final Map<String, Message> PROTOTYPES = new ConcurrentHashMap<>();
    static final Map<String, Map<Status.Code, Integer>> OUTCOMES = new ConcurrentHashMap<>();

    static Path dir;
    static NodeProcess node;
    static ManagedChannel channel;
    /** Ids the node really has, so generated requests reach past "not found". */
    static List<String> knownIds;

    @BeforeContainer
    static void start() throws Exception {
        for (ServiceDescriptor s : List.of(ChunksGrpc.getServiceDescriptor(), DhtGrpc.getServiceDescriptor(),
                FilesGrpc.getServiceDescriptor(), KvGrpc.getServiceDescriptor(), NodeGrpc.getServiceDescriptor())) {
            for (MethodDescriptor<?, ?> m : s.getMethods()) {
                if (m == NodeGrpc.getDrainMethod()) {
                    // The operator's "move everything away, then stop" on the node's own host: the
                    // fuzzer calls from there, so fuzzing it stops the node by design. Its refusals
                    // are checked in DrainTest and CliTest.
                    continue;
                }
                METHODS.add(raw(m));
                PROTOTYPES.put(m.getFullMethodName(),
                        (Message) ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller()).getMessagePrototype());
            }
        }
        dir = Files.createTempDirectory("hostile-fuzz");
        node = NodeProcess.start(dir.resolve("n"));
        channel = node.channel();
        byte[] chunk = Chunks.random(10_000, 13);
        ReactorChunksGrpc.newReactorStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .putChunk(Flux.fromIterable(Chunks.upload(chunk, 4096))).block(Duration.ofSeconds(40));
        String fileId = FileCalls.put(channel, Chunks.random(5000, 14), "fuzz.bin", 1, 0, 1024).getFileId();
        knownIds = List.of(Chunks.idOf(chunk).hex(), fileId, node.nodeId());
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            System.out.println("FUZZ outcomes per rpc: " + OUTCOMES);
            assertThat(METHODS).hasSize(21);
            assertThat(OUTCOMES).as("every rpc was fuzzed").hasSize(METHODS.size());
            assertThat(node.healthy()).as("the node is alive and serving after the fuzz pass").isTrue();
        } finally {
            if (node != null) {
                node.close();
            }
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Property(tries = TRIES, shrinking = ShrinkingMode.OFF, generation = GenerationMode.RANDOMIZED)
    void everyRpc_endsEveryRequestInTimeWithAClearStatus(@ForAll("rpcs") MethodDescriptor<byte[], byte[]> method,
                                                          @ForAll("shapes") Shape shape, @ForAll long seed) throws Exception {
        Random random = new Random(seed);
        List<byte[]> messages = new ArrayList<>();
        int count = method.getType().clientSendsOneMessage() ? 1 : random.nextInt(4);
        for (int i = 0; i < count; i++) {
            messages.add(shape.make(PROTOTYPES.get(method.getFullMethodName()), random));
        }
        long started = System.nanoTime();
        Status status = call(method, messages);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        OUTCOMES.computeIfAbsent(method.getFullMethodName(), k -> new ConcurrentHashMap<>()).merge(status.getCode(), 1, Integer::sum);

        String what = method.getFullMethodName() + " with " + shape + " request(s) (seed " + seed + "): " + status;
        assertThat(took).as("%s took %s", what, took).isLessThan(DEADLINE.plus(SLACK));
        assertThat(status.getCode()).as(what).isNotEqualTo(Status.Code.UNKNOWN);
        if (status.getCode() == Status.Code.INTERNAL) {
            String log = node.stderr();
            assertThat(status.getCode()).as("%s; the node logged:%n%s", what, log.substring(Math.max(0, log.length() - 3000)))
                    .isNotEqualTo(Status.Code.INTERNAL);
        }
    }

    @Provide
    Arbitrary<MethodDescriptor<byte[], byte[]>> rpcs() {
        return Arbitraries.of(METHODS);
    }

    @Provide
    Arbitrary<Shape> shapes() {
        return Arbitraries.of(Shape.values());
    }

    private static Status call(MethodDescriptor<byte[], byte[]> method, List<byte[]> messages) throws Exception {
        RawCall<byte[], byte[]> call = RawCall.start(channel, method,
                CallOptions.DEFAULT.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS), messages, true, Integer.MAX_VALUE);
        try {
            return call.closed().get(DEADLINE.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.call().cancel("the fuzz pass gave up on it", null);
            throw new AssertionError(method.getFullMethodName() + " did not end within its deadline plus slack");
        }
    }

    /** How a request is made. */
    enum Shape {
        /** Bytes that are rarely a valid message at all. */
        RANDOM_BYTES {
            @Override
            byte[] make(Message prototype, Random r) {
                byte[] b = new byte[r.nextInt(300)];
                r.nextBytes(b);
                return b;
            }
        },
        /** A well-formed message whose every field is random or hostile. */
        RANDOM_FIELDS {
            @Override
            byte[] make(Message prototype, Random r) {
                return fill(prototype.newBuilderForType(), r, 0).build().toByteArray();
            }
        },
        /** A well-formed message, then its encoding damaged: bits flipped, bytes cut, inserted or repeated. */
        MUTATED {
            @Override
            byte[] make(Message prototype, Random r) {
                byte[] b = RANDOM_FIELDS.make(prototype, r);
                for (int n = 1 + r.nextInt(3); n > 0 && b.length > 0; n--) {
                    int at = r.nextInt(b.length);
                    switch (r.nextInt(4)) {
                        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
                        case 1 -> b = Arrays.copyOf(b, at);
                        case 2 -> {
                            byte[] longer = new byte[b.length + 1];
                            System.arraycopy(b, 0, longer, 0, at);
                            longer[at] = (byte) r.nextInt(256);
                            System.arraycopy(b, at, longer, at + 1, b.length - at);
                            b = longer;
                        }
                        default -> {
                            byte[] twice = Arrays.copyOf(b, b.length * 2);
                            System.arraycopy(b, 0, twice, b.length, b.length);
                            b = twice;
                        }
                    }
                }
                return b;
            }
        };

        abstract byte[] make(Message prototype, Random r);
    }

    private static Message.Builder fill(Message.Builder b, Random r, int depth) {
        for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
            if (r.nextInt(4) == 0) {
                continue;
            }
            if (f.getRealContainingOneof() != null && b.hasOneof(f.getRealContainingOneof())) {
                continue;
            }
            if (f.isRepeated()) {
                // Now and then more entries than any batch limit, but never nested that way.
                boolean flood = depth == 0 && f.getJavaType() != FieldDescriptor.JavaType.MESSAGE && r.nextInt(8) == 0;
                int n = flood ? 5000 : r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    Object v = value(b, f, r, depth);
                    if (v != null) {
                        b.addRepeatedField(f, v);
                    }
                }
            } else {
                Object v = value(b, f, r, depth);
                if (v != null) {
                    b.setField(f, v);
                }
            }
        }
        return b;
    }

    private static Object value(Message.Builder b, FieldDescriptor f, Random r, int depth) {
        switch (f.getJavaType()) {
            case STRING:
                return pick(r, knownIds.get(r.nextInt(knownIds.size())), ContentId.random().hex(), "",
                        "A".repeat(64), "zz", "127.0.0.1", "::1", "256.1.1.1", "bad host\n", "../../etc/passwd",
                        "é".repeat(40), "x".repeat(1 + r.nextInt(r.nextInt(20) == 0 ? 5000 : 300)));
            case INT:
                return (int) pick(r, 0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, node.port(), 65536, r.nextInt());
            case LONG:
                return (long) pick(r, 0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, System.currentTimeMillis(), r.nextLong());
            case BOOLEAN:
                return r.nextBoolean();
            case FLOAT:
                return r.nextFloat();
            case DOUBLE:
                return r.nextDouble();
            case BYTE_STRING:
                byte[] bytes = new byte[(int) pick(r, 0, 1, 32, 64, r.nextInt(2000))];
                r.nextBytes(bytes);
                return ByteString.copyFrom(bytes);
            case ENUM:
                List<EnumValueDescriptor> values = f.getEnumType().getValues();
                return r.nextInt(5) == 0 ? f.getEnumType().findValueByNumberCreatingIfUnknown(99)
                        : values.get(r.nextInt(values.size()));
            case MESSAGE:
                if (depth >= 3) {
                    return null;
                }
                return fill(b.newBuilderForField(f), r, depth + 1).build();
            default:
                return null;
        }
    }

    @SafeVarargs
    private static <T> T pick(Random r, T... options) {
        return options[r.nextInt(options.length)];
    }

    private static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> m) {
        return m.toBuilder(Bytes.INSTANCE, Bytes.INSTANCE).build();
    }

    /** Messages as they are on the wire. */
    private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
