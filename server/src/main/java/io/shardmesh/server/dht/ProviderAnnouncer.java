package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.id.ContentId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.publisher.Mono;

/**
 * What a holder announces: per file, one provider record listing every chunk it has pinned
 * under that file, never one per shard (DESIGN.md, "Locations are announced per file"). When
 * its last pin of a file goes, it stops republishing the record, which then expires.
 */
public final class ProviderAnnouncer {

    private final Logger log;
    private final Publisher publisher;
    private final Supplier<Contact> self;
    private final Function<ContentId, Mono<List<ContentId>>> pinnedUnder;
    private final KademliaConfig config;

    /**
     * @param pinnedUnder the chunk ids this node has pinned under a file
     */
    public ProviderAnnouncer(Publisher publisher, Supplier<Contact> self, Function<ContentId, Mono<List<ContentId>>> pinnedUnder,
                             KademliaConfig config, Logger log) {
        this.publisher = requireNonNull(publisher, "publisher");
        this.self = requireNonNull(self, "self");
        this.pinnedUnder = requireNonNull(pinnedUnder, "pinnedUnder");
        this.config = requireNonNull(config, "config");
        this.log = requireNonNull(log, "log");
    }

    /**
     * Announces what this node holds of {@code fileId} now. Holding nothing any more, it stops
     * republishing and replaces its record with an empty one at once, rather than letting
     * readers find it for the rest of the record's lifetime (a put that failed and unpinned must
     * not leave its file announced).
     */
    public Mono<Void> announce(ContentId fileId) {
        return pinnedUnder.apply(fileId).flatMap(held -> held.isEmpty()
                ? publisher.unpublishOwn(fileId, RecordKind.PROVIDER)
                        .then(publisher.publishOnce(fileId, new DhtRecord.Provider(self.get(), List.of()), config.recordTtl()))
                        .then()
                : publisher.publishOwn(fileId, new DhtRecord.Provider(self.get(),
                        announceable(fileId, held, config.maxChunkIdsPerProvider())), config.recordTtl()).then());
    }

    /**
     * What a provider record can list: the manifest first (readers need it to find anything),
     * then shards up to the record limit. Shards past it are found by the placement rule.
     */
    private List<ContentId> announceable(ContentId fileId, List<ContentId> held, int max) {
        List<ContentId> out = new ArrayList<>(Math.min(held.size(), max));
        if (held.contains(fileId)) {
            out.add(fileId);
        }
        for (ContentId c : held) {
            if (out.size() >= max) {
                log.warn("file {}: this node holds {} of its chunks; announcing {} (the provider record limit)",
                        fileId, held.size(), max);
                break;
            }
            if (!c.equals(fileId)) {
                out.add(c);
            }
        }
        return out;
    }
}
