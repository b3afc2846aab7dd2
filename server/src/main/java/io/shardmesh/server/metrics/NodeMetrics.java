package io.shardmesh.server.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.shardmesh.server.status.NodeStatus;
import io.shardmesh.server.status.StatusSource;
import java.io.IOException;
import java.time.Duration;
import java.util.function.ToDoubleFunction;

/**
 * One node's metrics, in a registry of its own (several nodes may share a process): every gRPC
 * call by method and status code with its latency (counted by the gRPC edge through
 * {@link #callFinished}), the store, the DHT, and the JVM. Served over
 * HTTP at {@code /metrics} in the Prometheus text format when the node is given {@code --metrics}.
 */
public final class NodeMetrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter calls;
    private final Histogram latency;

    /**
     * @param status the node's status, read once per scrape (scrapes run on the HTTP server's
     *     own thread, never on an event loop, so waiting for it there is fine)
     */
    public NodeMetrics(StatusSource status) {
        calls = Counter.builder().name("shardmesh_grpc_server_handled_total")
                .help("gRPC calls this node answered, by method and status code.")
                .labelNames("method", "code").register(registry);
        latency = Histogram.builder().name("shardmesh_grpc_server_handling_seconds")
                .help("Time from a call's start to its status, by method (streams: the whole stream).")
                .classicOnly()
                .classicUpperBounds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .labelNames("method").register(registry);
        Snapshot snapshot = new Snapshot(status);
        gauge("shardmesh_store_chunks", "Chunks (shards and manifests) stored.", snapshot, NodeStatus::storedChunks);
        gauge("shardmesh_store_bytes", "Bytes of chunks stored.", snapshot, NodeStatus::storedBytes);
        gauge("shardmesh_store_quota_bytes", "The storage quota; 0 means unlimited.", snapshot, NodeStatus::maxStorageBytes);
        gauge("shardmesh_pinned_files", "Files with chunks pinned here.", snapshot, NodeStatus::pinnedFiles);
        gauge("shardmesh_dht_routing_table_contacts", "Contacts in the routing table.", snapshot, NodeStatus::routingTableSize);
        gauge("shardmesh_dht_records", "DHT records held.", snapshot, NodeStatus::dhtRecords);
        gauge("shardmesh_uptime_seconds", "Seconds since the node started.", snapshot, s -> s.uptimeMs() / 1000.0);
        gauge("shardmesh_repairs_queued", "Stripes due for repair, waiting for a repair slot.", snapshot,
                s -> s.repair().queued());
        gauge("shardmesh_repairs_running", "Stripes being repaired now.", snapshot, s -> s.repair().running());
        CounterWithCallback.builder().name("shardmesh_repairs").help("Stripe repairs this node ran, by outcome.")
                .labelNames("outcome")
                .callback(cb -> {
                    var r = snapshot.get().repair();
                    cb.call(r.done(), "done");
                    cb.call(r.failed(), "failed");
                }).register(registry);
        counter("shardmesh_repaired_shards", "Shards rebuilt or moved onto new holders (repair and drain).", snapshot,
                s -> s.repair().shardsRepaired());
        CounterWithCallback.builder().name("shardmesh_repair_bytes").help("Repair traffic: bytes fetched to rebuild"
                        + " shards, and bytes of rebuilt or moved shards written to new holders.")
                .labelNames("direction")
                .callback(cb -> {
                    var r = snapshot.get().repair();
                    cb.call(r.bytesFetched(), "fetched");
                    cb.call(r.bytesWritten(), "written");
                }).register(registry);
        counter("shardmesh_surplus_copies_dropped", "Surplus shard copies this node dropped.", snapshot,
                s -> s.repair().surplusDropped());
        counter("shardmesh_scrubbed_chunks", "Chunks the scrub re-hashed.", snapshot, s -> s.repair().scrubbedChunks());
        counter("shardmesh_quarantined_chunks", "Chunks found corrupt and quarantined.", snapshot,
                s -> s.repair().quarantinedChunks());
        JvmMetrics.builder().register(registry);
    }

    private void gauge(String name, String help, Snapshot snapshot, ToDoubleFunction<NodeStatus> value) {
        GaugeWithCallback.builder().name(name).help(help)
                .callback(cb -> cb.call(value.applyAsDouble(snapshot.get())))
                .register(registry);
    }

    private void counter(String name, String help, Snapshot snapshot, ToDoubleFunction<NodeStatus> value) {
        CounterWithCallback.builder().name(name).help(help)
                .callback(cb -> cb.call(value.applyAsDouble(snapshot.get())))
                .register(registry);
    }

    /**
     * Counts one finished call and its latency. {@code code} is the status it closed with, or
     * CANCELLED or DEADLINE_EXCEEDED for calls that ended without one.
     */
    public void callFinished(String method, String code, long nanos) {
        calls.labelValues(method, code).inc();
        latency.labelValues(method).observe(nanos / 1e9);
    }

    /** Serves {@code /metrics} on {@code host:port} (port 0: the OS picks). */
    public HTTPServer serve(String host, int port) throws IOException {
        return HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
    }

    /** The registry (tests read it). */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** One status per scrape, not one per gauge. */
    private static final class Snapshot {
        private static final long MAX_AGE_NANOS = Duration.ofMillis(500).toNanos();
        private static final Duration STATUS_DEADLINE = Duration.ofSeconds(5);
        private final StatusSource source;
        private NodeStatus last;
        private long takenAt;

        Snapshot(StatusSource source) {
            this.source = source;
        }

        synchronized NodeStatus get() {
            long now = System.nanoTime();
            if (last == null || now - takenAt > MAX_AGE_NANOS) {
                last = source.status().block(STATUS_DEADLINE);
                takenAt = now;
            }
            return last;
        }
    }
}
