package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.net.HostPort;
import java.time.Duration;
import java.util.List;

/**
 * A node's DHT settings.
 *
 * @param kademlia the protocol's settings (k, α, timeouts, record limits)
 * @param bootstrap addresses to join through; empty: rejoin saved peers, or stay alone
 * @param gossipInterval how often the node trades peer samples with a random peer
 * @param maintenanceInterval how often stale buckets, expired records and the peer table are looked after
 * @param staleAfter peers not seen this long show as offline and are forgotten on request
 */
public record DhtConfig(KademliaConfig kademlia, List<HostPort> bootstrap, Duration gossipInterval,
                          Duration maintenanceInterval, Duration staleAfter) {

    public static final Duration DEFAULT_GOSSIP_INTERVAL = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAINTENANCE_INTERVAL = Duration.ofMinutes(10);
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofHours(24);

    public DhtConfig {
        requireNonNull(kademlia, "kademlia");
        bootstrap = List.copyOf(bootstrap);
        for (Duration d : new Duration[] {gossipInterval, maintenanceInterval, staleAfter}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("DHT intervals must be positive, got " + d);
            }
        }
    }

    public static DhtConfig defaults() {
        return new DhtConfig(KademliaConfig.defaults(), List.of(), DEFAULT_GOSSIP_INTERVAL, DEFAULT_MAINTENANCE_INTERVAL,
                DEFAULT_STALE_AFTER);
    }

    public DhtConfig withBootstrap(List<HostPort> peers) {
        return new DhtConfig(kademlia, peers, gossipInterval, maintenanceInterval, staleAfter);
    }

    public DhtConfig withKademlia(KademliaConfig config) {
        return new DhtConfig(config, bootstrap, gossipInterval, maintenanceInterval, staleAfter);
    }

    public DhtConfig withIntervals(Duration gossip, Duration maintenance) {
        return new DhtConfig(kademlia, bootstrap, gossip, maintenance, staleAfter);
    }
}
