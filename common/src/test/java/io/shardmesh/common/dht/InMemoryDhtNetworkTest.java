package io.shardmesh.common.dht;

import io.shardmesh.common.crypto.NodeKey;

/** The network suite over the in-memory transport, at 1,000 nodes. */
class InMemoryDhtNetworkTest extends DhtNetworkSuite {

    @Override
    protected Network newNetwork(KademliaConfig config) {
        return new InMemoryNetwork(config);
    }

    @Override
    protected int nodes() {
        return 1000;
    }

    @Override
    protected int lookups() {
        return 500;
    }

    @Override
    protected NodeKey keyOf(Member m) {
        return ((InMemoryNetwork.Keyed) m).key();
    }
}
