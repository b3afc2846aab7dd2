package io.shardmesh.cli.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A unary load generator in the manner of {@code ghz}: a fixed number of calls in flight, a
 * fixed number of calls in all, every latency kept (calls are few enough to sort).
 */
public final class UnaryLoad {

    /** What a run measured. */
    public record Result(int calls, int errors, double callsPerSecond, double p50Millis, double p99Millis, String firstError) {
    }

    private UnaryLoad() {
    }

    public static <Q, R> Result run(Channel channel, MethodDescriptor<Q, R> method, Supplier<Q> request, int concurrency,
                                    int calls, long deadlineMillis) throws InterruptedException {
        Semaphore slots = new Semaphore(concurrency);
        CountDownLatch finished = new CountDownLatch(calls);
        long[] latencies = new long[calls];
        AtomicInteger errors = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            slots.acquire();
            int slot = i;
            long start = System.nanoTime();
            ClientCalls.asyncUnaryCall(channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)),
                    request.get(), new StreamObserver<R>() {
                        @Override
                        public void onNext(R value) {
                        }

                        @Override
                        public void onError(Throwable e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e.getMessage());
                            end();
                        }

                        @Override
                        public void onCompleted() {
                            end();
                        }

                        private void end() {
                            latencies[slot] = System.nanoTime() - start;
                            slots.release();
                            finished.countDown();
                        }
                    });
        }
        finished.await();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(latencies);
        return new Result(calls, errors.get(), calls / seconds, latencies[calls / 2] / 1e6,
                latencies[Math.min(calls - 1, (int) (calls * 0.99))] / 1e6, firstError.get());
    }
}
