package io.shardmesh.common.dht;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import io.shardmesh.common.net.HostPort;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Thousands of {@link Kademlia} nodes in one JVM, calling each other through an in-memory
 * {@link DhtTransport}. A "silently dead" node never answers: its callers see exactly what a
 * timed-out call gives them (a {@link TimeoutException}), without the test waiting for it.
 */
public final class InMemoryNetwork implements DhtNetworkSuite.Network {

    private final KademliaConfig config;
    private final Map<String, Kademlia> byAddress = new ConcurrentHashMap<>();
    private final List<DhtNetworkSuite.Member> members = new ArrayList<>();
    private final Set<String> dead = ConcurrentHashMap.newKeySet();
    private final Map<String, Contact> contacts = new ConcurrentHashMap<>();
    private final Map<String, Contact> hostile = new ConcurrentHashMap<>();
    private final AtomicInteger nextPort = new AtomicInteger(10_000);
    private final AtomicLong calls = new AtomicLong();

    private final Clock clock;

    public InMemoryNetwork(KademliaConfig config) {
        this(config, Clock.systemUTC());
    }

    public InMemoryNetwork(KademliaConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    @Override
    public DhtNetworkSuite.Member add(List<HostPort> bootstrap) {
        int port = nextPort.get();
        return add(bootstrap, "10.0." + (port / 256 % 256) + "." + (port % 256));
    }

    /** Adds a node with an address on {@code host}. */
    public Keyed add(List<HostPort> bootstrap, String host) {
        NodeKey key = NodeKey.generate();
        int port = nextPort.getAndIncrement();
        Contact self = new Contact(key.id(), host, port);
        Kademlia k = new Kademlia(key, () -> self, config, new Transport(self), new InMemoryRecordStore(),
                clock, Schedulers.parallel(), Schedulers.immediate(), ContactListener.NONE);
        byAddress.put(self.address(), k);
        Keyed m = new Keyed() {
            @Override
            public NodeKey key() {
                return key;
            }

            @Override
            public Kademlia kademlia() {
                return k;
            }

            @Override
            public HostPort address() {
                return new HostPort(self.host(), self.port());
            }

            @Override
            public void kill() {
                dead.add(self.address());
            }

            @Override
            public boolean alive() {
                return !dead.contains(self.address());
            }
        };
        members.add(m);
        contacts.put(self.address(), self);
        k.join(List.of(), bootstrap).block(Duration.ofSeconds(60));
        return m;
    }

    /**
     * Turns a member hostile, colluding with the other hostile members: it answers every
     * FindNode and FindValue with the hostile members closest to the key and nothing else, and
     * accepts stores but drops them. It still answers pings, so it stays in routing tables.
     */
    public void turnHostile(DhtNetworkSuite.Member m) {
        Contact c = contacts.get(m.address().host() + ":" + m.address().port());
        hostile.put(c.address(), c);
    }

    private List<Contact> hostileClosest(Key256 target) {
        return hostile.values().stream().sorted(Comparator.comparing(Contact::id, Key256.closestTo(target)))
                .limit(config.k()).toList();
    }

    @Override
    public List<DhtNetworkSuite.Member> members() {
        return members;
    }

    public long calls() {
        return calls.get();
    }

    @Override
    public void close() {
    }

    /** A member whose key the suite may sign with. */
    public interface Keyed extends DhtNetworkSuite.Member {
        NodeKey key();
    }

    private final class Transport implements DhtTransport {
        private final Contact self;

        Transport(Contact self) {
            this.self = self;
        }

        private Mono<Kademlia> reach(String address) {
            calls.incrementAndGet();
            Kademlia k = byAddress.get(address);
            if (k == null || dead.contains(address) || dead.contains(self.address())) {
                return Mono.error(new TimeoutException("no answer from " + address + " (silently dead)"));
            }
            return Mono.just(k);
        }

        @Override
        public Mono<Contact> ping(Contact to, Duration timeout) {
            return reach(to.address()).map(k -> k.responder().onPing(Optional.of(self)))
                    .filter(c -> c.id().equals(to.id()))
                    .switchIfEmpty(Mono.error(() -> new IllegalStateException("another node answers at " + to.address())));
        }

        @Override
        public Mono<Contact> ping(String host, int port, Duration timeout) {
            return reach(host + ":" + port).map(k -> k.responder().onPing(Optional.of(self)));
        }

        @Override
        public Mono<List<Contact>> findNode(Contact to, Key256 target, Duration timeout) {
            if (hostile.containsKey(to.address())) {
                return reach(to.address()).map(k -> hostileClosest(target));
            }
            return reach(to.address()).map(k -> k.responder().onFindNode(Optional.of(self), target, 0));
        }

        @Override
        public Mono<ValueReply> findValue(Contact to, ContentId key, Optional<RecordKind> kind, Duration timeout) {
            if (hostile.containsKey(to.address())) {
                return reach(to.address()).map(k -> new ValueReply(List.of(), hostileClosest(key)));
            }
            return reach(to.address()).flatMap(k -> k.responder().onFindValue(Optional.of(self), key, kind));
        }

        @Override
        public Mono<Boolean> store(Contact to, DhtRecord record, Duration timeout) {
            if (hostile.containsKey(to.address())) {
                return reach(to.address()).map(k -> true);
            }
            return reach(to.address()).flatMap(k -> k.responder().onStore(Optional.of(self), record));
        }

        @Override
        public Mono<List<Contact>> exchangePeers(Contact to, List<Contact> sample, Duration timeout) {
            return reach(to.address()).map(k -> k.responder().onExchangePeers(Optional.of(self), sample));
        }
    }
}
