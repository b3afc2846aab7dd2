package io.shardmesh.it.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.cli.ShardmeshCommand;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.common.units.Durations;
import io.shardmesh.common.units.Sizes;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.grpc.GrpcServerConfig;
import io.shardmesh.server.node.NodeConfig;
import io.shardmesh.server.repair.RepairConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.NumberFormat;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The defaults a user reads in {@code --help} and in the README are the ones the code uses:
 * each is defined once, in its part's {@code …Config}, and checked here against both.
 */
class DocumentedDefaultsTest {

    private static final CommandLine CLI = ShardmeshCommand.commandLine();

    /** The default {@code --help} shows: the annotation's, else the field's initial value. */
    private static String defaultOf(String command, String option) {
        var spec = CLI.getSubcommands().get(command).getCommandSpec().findOption(option);
        return spec.defaultValue() != null ? spec.defaultValue() : String.valueOf((Object) spec.initialValue());
    }

    private static String readme() throws IOException {
        Path root = Path.of(System.getProperty("shardmesh.repo.root", ".."));
        // Lines wrap anywhere in the prose: compare with runs of white space folded.
        return Files.readString(root.resolve("README.md")).replaceAll("\\s+", " ");
    }

    private static String number(long n) {
        return NumberFormat.getIntegerInstance(Locale.US).format(n);
    }

    @Test
    void helpDefaults_areTheConfigDefaults() {
        assertThat(Integer.parseInt(defaultOf("put", "-k"))).isEqualTo(TransferConfig.DEFAULT_K);
        assertThat(Integer.parseInt(defaultOf("put", "-m"))).isEqualTo(TransferConfig.DEFAULT_M);
        assertThat(Sizes.parse(defaultOf("put", "--shard-size"))).isEqualTo(TransferConfig.DEFAULT_SHARD_SIZE);
        assertThat(defaultOf("node", "--listen")).isEqualTo(NodeConfig.DEFAULT_LISTEN.toString());
        assertThat(Long.parseLong(defaultOf("node", "--gc-grace-seconds"))).isEqualTo(ChunkConfig.DEFAULT_GC_GRACE.toSeconds());
        assertThat(Long.parseLong(defaultOf("node", "--gc-interval-seconds"))).isEqualTo(ChunkConfig.DEFAULT_GC_INTERVAL.toSeconds());
        assertThat(Durations.parse(defaultOf("node", "--repair-interval"))).isEqualTo(RepairConfig.DEFAULT_INTERVAL);
        assertThat(Durations.parse(defaultOf("node", "--repair-delay"))).isEqualTo(RepairConfig.DEFAULT_DELAY);
        assertThat(Integer.parseInt(defaultOf("node", "--repair-concurrency"))).isEqualTo(RepairConfig.DEFAULT_CONCURRENCY);
        assertThat(Sizes.parse(defaultOf("node", "--repair-rate"))).isEqualTo(RepairConfig.DEFAULT_BYTES_PER_SECOND);
        assertThat(Sizes.parse(defaultOf("node", "--scrub-rate"))).isEqualTo(RepairConfig.DEFAULT_SCRUB_BYTES_PER_SECOND);
        assertThat(Durations.parse(defaultOf("node", "--scrub-pause"))).isEqualTo(RepairConfig.DEFAULT_SCRUB_PAUSE);
    }

    @Test
    void readme_statesTheDefaultsTheCodeUses() throws IOException {
        String readme = readme();
        assertThat(readme)
                .contains("defaults: k = " + TransferConfig.DEFAULT_K + " data, m = " + TransferConfig.DEFAULT_M + " parity, "
                        + (TransferConfig.DEFAULT_SHARD_SIZE >> 20) + " MiB")
                .contains("k-buckets with k = " + KademliaConfig.DEFAULT_K)
                .contains("α = " + KademliaConfig.DEFAULT_ALPHA + " requests in flight")
                .contains("lives " + KademliaConfig.DEFAULT_RECORD_TTL.toHours() + " h unless its publisher republishes it (every "
                        + KademliaConfig.DEFAULT_REPUBLISH_INTERVAL.toHours() + " h)")
                .contains("at most " + number(KademliaConfig.DEFAULT_MAX_RECORDS_PER_PUBLISHER) + " records per publisher and values of at most "
                        + (KademliaConfig.DEFAULT_MAX_VALUE_BYTES >> 10) + " KiB")
                .contains("skipped by lookups for " + Kademlia.SUSPECT_FOR.toMinutes() + " minutes")
                .contains("peer tables every " + DhtConfig.DEFAULT_GOSSIP_INTERVAL.toMinutes() + " minutes")
                .contains("the node's own (" + GrpcServerConfig.DEFAULT_MAX_CALL_DURATION.toHours() + " h)")
                .contains("at most " + GrpcServerConfig.DEFAULT_MAX_CHUNK_STREAMS + " `GetChunk` streams and "
                        + GrpcServerConfig.DEFAULT_MAX_FILE_READS + " `Files.Get` streams")
                .contains("collected " + ChunkConfig.DEFAULT_GC_GRACE.toHours() + " h after they arrived")
                .contains("(in-flight calls get " + NodeConfig.DEFAULT_SHUTDOWN_GRACE.toSeconds() + " s;")
                .contains("(`node --repair-interval`, default `" + Durations.format(RepairConfig.DEFAULT_INTERVAL) + "`")
                .contains("`--repair-delay` (default `" + Durations.format(RepairConfig.DEFAULT_DELAY) + "`")
                .contains("`--repair-concurrency` (default " + RepairConfig.DEFAULT_CONCURRENCY + ")")
                .contains("`--repair-rate` (default `" + RepairConfig.DEFAULT_BYTES_PER_SECOND / 1_000_000 + "MB` a second")
                .contains("`--scrub-rate` (default `" + RepairConfig.DEFAULT_SCRUB_BYTES_PER_SECOND / 1_000_000 + "MB` a second")
                .contains("`--scrub-pause` (default `" + Durations.format(RepairConfig.DEFAULT_SCRUB_PAUSE) + "`)")
                .contains("runs a local mesh on " + NodeConfig.DEFAULT_LISTEN.host() + ":" + NodeConfig.DEFAULT_LISTEN.port());
    }
}
