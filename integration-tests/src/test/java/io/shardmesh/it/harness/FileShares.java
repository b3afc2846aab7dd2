package io.shardmesh.it.harness;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.ShardShares;
import io.shardmesh.proto.v1.StripeShares;
import java.util.Set;
import java.util.TreeSet;

/** Where a file's shards live, as {@code shardmesh stat --json} reports it. */
public record FileShares(FilesStatResponse stat) {

    /** Parses the output of {@code shardmesh stat ID --json}. */
    public static FileShares parse(String json) {
        FilesStatResponse.Builder b = FilesStatResponse.newBuilder();
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(json, b);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("stat --json printed something that is not a FilesStatResponse: " + json, e);
        }
        return new FileShares(b.build());
    }

    public int stripes() {
        return stat.getStripesCount();
    }

    public int k() {
        return stat.getFile().getK();
    }

    public int m() {
        return stat.getFile().getM();
    }

    /** The chunk id of shard {@code shard} (0..k+m-1) of stripe {@code stripe}. */
    public String chunkId(int stripe, int shard) {
        return shard(stripe, shard).getChunkId();
    }

    /** The ports of the nodes that announce shard {@code shard} of stripe {@code stripe}. */
    public Set<Integer> holderPorts(int stripe, int shard) {
        Set<Integer> ports = new TreeSet<>();
        shard(stripe, shard).getHoldersList().forEach(c -> ports.add(c.getPort()));
        return ports;
    }

    private ShardShares shard(int stripe, int shard) {
        StripeShares s = stat.getStripes(stripe);
        return s.getShardsList().stream().filter(x -> x.getIndex() == shard).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("stripe " + stripe + " has no shard " + shard));
    }
}
