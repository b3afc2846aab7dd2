package io.shardmesh.common.repair;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.dht.DhtNetworkSuite;
import io.shardmesh.common.dht.InMemoryNetwork;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.transfer.TransferConfig;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * How many files a year of churn loses with and without repair, and what repair costs in bytes:
 * a discrete-event simulation on a virtual clock over the in-memory Kademlia network of the DHT
 * tests. It prints one table (lines starting with {@code DURABILITY}, in the test's output file
 * under {@code common/target/surefire-reports}).
 *
 * <h2>The model</h2>
 * <ul>
 *   <li><b>Nodes.</b> {@value #NODES} real {@code Kademlia} nodes in one {@link InMemoryNetwork}
 *       (bucket size {@value #DHT_K}, not the product's 20: each join and lookup in the in-memory
 *       network costs CPU in proportion to it, a 2,000-node network takes 11–15 s to build
 *       at 8 against 26–30 s at 20, and a placement only uses the closest few nodes of an
 *       answer).
 *       The population stays at {@value #NODES}: each node that leaves for good is replaced by a
 *       new one joining through a live node.</li>
 *   <li><b>Sessions.</b> Pareto, shape {@value #SESSION_SHAPE}, median {@value #SESSION_MEDIAN_HOURS} h
 *       (mean about 23 h, and a few sessions longer than the year). The first session of each
 *       node is cut at a uniform point so departures do not bunch at the start.</li>
 *   <li><b>Absences.</b> At the end of a session the node is away for a Pareto time, shape
 *       {@value #ABSENCE_SHAPE}, median {@value #ABSENCE_MEDIAN_MINUTES} min (mean about 34 min;
 *       6% last over an hour, 1 in 800 over a day), and comes back with its shards. With
 *       probability 1/{@value #DEPARTURES_PER_LOSS} per departure it never comes back and its
 *       disk is gone (about 300 nodes a year, 15% of the population).</li>
 *   <li><b>Files.</b> {@value #FILES} files of {@value #STRIPES_PER_FILE} stripes (8 MiB each), each stripe 4
 *       data + 2 parity shards of 1 MiB (the product's defaults, {@link TransferConfig}), stored at
 *       time 0 from a random node. Each shard goes where {@link io.shardmesh.common.transfer.Placement#rank}
 *       puts it among the nodes a real lookup for its id returns. A stripe is lost when fewer
 *       than k of its shards are left on nodes that have not left for good (a node that is away
 *       still has its shards); a file is lost when any of its stripes is.</li>
 *   <li><b>Repair</b> (on in one run, off in the other; both see the same churn, node by node,
 *       from one seed). Every online holder checks its stripes every 10 min ± 10% (the server's
 *       {@code RepairConfig} defaults: interval 10 min, delay 15 min). At a check it sees each
 *       shard's online holders, remembers since when the stripe is degraded and since when it
 *       is due, and applies {@link RepairRule#due}, its rank in {@link RepairRule#order} and
 *       {@link RepairRule#repairsNow} (back-off: one interval) as the server's {@code Repairer}
 *       does. The repairer fetches k shards and writes each missing one
 *       ({@link RepairRule#missing}) to the node {@code Placement.rank} picks among those a
 *       lookup for the shard id returns, leaving out the stripe's live holders. A holder that
 *       comes back to find its shard rebuilt elsewhere holds a surplus copy; the holders drop
 *       it by {@link RepairRule#surplus} once the stripe has been whole for the surplus wait
 *       (15 min). A node that goes away forgets what its repair loop remembered.</li>
 * </ul>
 *
 * <h2>What it shows</h2>
 * Repair keeps every file. A stripe missing one shard waits the repair delay ({@link
 * RepairRule#urgentAt}: with 4 + 2 only two missing shards, or k left, skip it), so most short
 * absences cost nothing; an absence that outlasts the delay starts a repair, and the copy
 * rebuilt is dropped again as surplus when the holder is back. With sessions of hours and a
 * heavy tail of absences, that is still each stored byte moved a few hundred times a year: the
 * repair delay, not the rule, is the knob (it was over a thousand times a year when one missing
 * shard was repaired at once).
 *
 * <h2>What is real and what is modelled</h2>
 * Real: the repair and placement rules (the product's classes), the Kademlia nodes, their
 * lookups, departures for good ({@code Member.kill()}) and arrivals (joins). Modelled: being
 * away (the in-memory network cannot revive a killed node, so a node that is away still answers
 * the DHT; the placer skips it, as a store to it would fail), and bytes (counted, not coded).
 * A lookup's answer is kept per shard id and used again until the DHT changes near that id
 * ({@link LookupAnswers} says exactly when), since a lookup per repair would take minutes;
 * every {@value #SPOT_CHECK_EVERY}th reuse is checked against a fresh lookup.
 *
 * <h2>Reproducibility</h2>
 * Churn, files, shard ids, jitter and every choice come from one seed. The node ids do not:
 * {@link InMemoryNetwork} gives each node a fresh Ed25519 key (and has no way to take one), so
 * which node holds which shard differs from run to run. The churn is the same in every run
 * (departures, departures for good); the repair figures move by about 1%, and files lost
 * without repair, a count of rare events, by several (from 13 to 25 in five runs).
 * The assertions hold with a wide margin.
 *
 * <h2>Size</h2>
 * 2,000 nodes, a year, 200 files of 2 stripes: about 25 s and 23 s of CPU on 2 cores (the
 * network's build about half of it). The year's cost grows with the number of shards (each one
 * is repaired a few hundred times): 3 stripes per file took 37 s of CPU, too close to the
 * minute a loaded machine allows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DurabilitySimulationTest {

    static final int NODES = 2_000;
    static final int DHT_K = 8;
    static final int FILES = 200;
    static final int STRIPES_PER_FILE = 2;
    static final double SESSION_MEDIAN_HOURS = 12;
    static final double SESSION_SHAPE = 1.5;
    static final double ABSENCE_MEDIAN_MINUTES = 10;
    static final double ABSENCE_SHAPE = 1.2;
    static final int DEPARTURES_PER_LOSS = 2_500;
    static final int SPOT_CHECK_EVERY = 5_000;
    static final long SEED = 20_240_601L;

    private static final ChurnSimulation.Model MODEL = new ChurnSimulation.Model(
            TransferConfig.DEFAULT_K, TransferConfig.DEFAULT_M, TransferConfig.DEFAULT_SHARD_SIZE, Duration.ofDays(365),
            SESSION_MEDIAN_HOURS, SESSION_SHAPE, ABSENCE_MEDIAN_MINUTES, ABSENCE_SHAPE, 1.0 / DEPARTURES_PER_LOSS,
            Duration.ofMinutes(10), 0.1, Duration.ofMinutes(15), Duration.ofMinutes(15));

    private ChurnSimulation.Layout layout;
    private ChurnSimulation.Result without;
    private ChurnSimulation.Result with;
    private LookupAnswers answers;
    private Duration build;
    private Duration placement;
    private Duration total;
    private Duration cpu;

    @BeforeAll
    void simulateAYear() {
        long started = System.nanoTime();
        long cpuStarted = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        InMemoryNetwork network = new InMemoryNetwork(KademliaConfig.defaults().withK(DHT_K));
        DhtNetworkSuite.Member first = network.add(List.of());
        for (int i = 1; i < NODES; i++) {
            network.add(List.of(first.address()));
        }
        List<DhtNetworkSuite.Member> initial = new ArrayList<>(network.members());
        build = since(started);

        long placing = System.nanoTime();
        answers = new LookupAnswers(DHT_K, SPOT_CHECK_EVERY);
        layout = ChurnSimulation.place(initial, FILES, STRIPES_PER_FILE, MODEL.width(), answers, new SplittableRandom(SEED));
        placement = since(placing);

        // Without repair first: it leaves the network as built, and the run with repair then
        // kills and adds members in it.
        without = new ChurnSimulation(MODEL, layout, initial, network, answers, SEED + 1, false).run();
        with = new ChurnSimulation(MODEL, layout, initial, network, answers, SEED + 1, true).run();
        total = since(started);
        // On a shared machine wall time says little: the CPU time of this thread (the whole
        // simulation runs on it; lookups complete synchronously over the in-memory transport).
        cpu = Duration.ofNanos(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStarted);
        print();
    }

    @Test
    void aYearOfChurn_withRepair_losesNoFile() {
        assertThat(with.leftForGood()).as("nodes that left for good").isPositive();
        assertThat(with.filesLost()).as("files lost with repair").isZero();
        assertThat(with.arrivalsJoined()).as("each node that left for good was replaced by a joining one")
                .isEqualTo(with.leftForGood());
    }

    @Test
    void aYearOfChurn_withoutRepair_losesFiles() {
        // The same churn, node by node: the comparison is between repair and no repair alone.
        assertThat(without.departures()).isEqualTo(with.departures());
        assertThat(without.leftForGood()).isEqualTo(with.leftForGood());
        assertThat(without.filesLost()).as("files lost without repair").isPositive();
        assertThat(without.repairs()).isZero();
    }

    @Test
    void repairTraffic_perByteRebuilt_isOnePlusKForOneShardAndLessWhenSeveralAreRebuiltAtOnce() {
        int k = MODEL.k();
        int m = MODEL.m();
        long shard = MODEL.shardBytes();
        assertThat(with.shardsRebuilt()).isPositive();
        // Every repair fetches k shards, whatever it rebuilds; each shard rebuilt is written once.
        assertThat(with.bytesFetched()).isEqualTo(with.repairs() * k * shard);
        assertThat(with.bytesWritten()).isEqualTo(with.shardsRebuilt() * shard);
        // A repair that rebuilds r shards moves (k + r) shards: k + 1 per shard for r = 1, down
        // to 1 + k/m when all m missing shards are rebuilt at once.
        double perRebuilt = perByteRebuilt(with);
        assertThat(perRebuilt).isBetween(1.0 + (double) k / m, 1.0 + k);
        long expected = 0;
        long[] byR = with.repairsByShardsRebuilt();
        for (int r = 0; r < byR.length; r++) {
            expected += byR[r] * (k + r);
        }
        assertThat(with.bytesFetched() + with.bytesWritten()).isEqualTo(expected * shard);
        // Two holders away at once is rarer than one, so most repairs rebuild one shard.
        assertThat(byR[1]).isGreaterThan(byR[2]);
    }

    @Test
    void keptLookupAnswers_agreeWithFreshLookups() {
        assertThat(answers.spotChecks()).isPositive();
        assertThat((double) answers.spotCheckAgreements() / answers.spotChecks())
                .as("placements from a kept answer that a fresh lookup agrees with").isGreaterThanOrEqualTo(0.95);
    }

    private static double perByteRebuilt(ChurnSimulation.Result r) {
        return (double) (r.bytesFetched() + r.bytesWritten()) / r.bytesWritten();
    }

    private void print() {
        long stripes = layout.stripes();
        long stored = stripes * MODEL.width() * MODEL.shardBytes();
        List<String[]> rows = new ArrayList<>();
        rows.add(row("nodes (in-memory Kademlia, bucket size " + DHT_K + ")", n(NODES) + " at a time, "
                + n(with.arrivalsJoined()) + " joined during the year"));
        rows.add(row("files / stripes / shards", n(FILES) + " / " + n(stripes) + " / " + n(stripes * MODEL.width())
                + " (" + MODEL.k() + " + " + MODEL.m() + ", 1 MiB shards)"));
        rows.add(row("simulated days", n(MODEL.length().toDays())));
        rows.add(row("sessions / absences", String.format(Locale.ROOT, "Pareto %.1f, median %.0f h / Pareto %.1f, median %.0f min",
                SESSION_SHAPE, SESSION_MEDIAN_HOURS, ABSENCE_SHAPE, ABSENCE_MEDIAN_MINUTES)));
        rows.add(row("node departures", n(with.departures())));
        rows.add(row("permanent departures", n(with.leftForGood()) + " (1 in " + n(DEPARTURES_PER_LOSS) + " departures)"));
        rows.add(row("files lost without repair", n(without.filesLost()) + " (" + n(without.stripesLost()) + " stripes)"));
        rows.add(row("files lost with repair", n(with.filesLost()) + " (" + n(with.stripesLost()) + " stripes)"));
        long[] byR = with.repairsByShardsRebuilt();
        StringBuilder split = new StringBuilder();
        for (int r = 1; r < byR.length; r++) {
            if (byR[r] > 0) {
                split.append(split.length() == 0 ? "" : ", ").append(n(byR[r])).append(" of ").append(r);
            }
        }
        rows.add(row("repairs run (stripes)", n(with.repairs()) + ", " + n(with.shardsRebuilt()) + " shards rebuilt ("
                + split + "); " + n(with.unplaced()) + " shards found no free node"));
        rows.add(row("repairs started before the " + MODEL.delay().toMinutes() + "-min delay", n(with.repairsBeforeDelay())
                + " (due at once at " + RepairRule.urgentAt(MODEL.k(), MODEL.m()) + " or fewer live shards of "
                + (MODEL.k() + MODEL.m()) + ")"));
        rows.add(row("surplus copies (holder back after a rebuild)", n(with.surplusAppeared()) + ", "
                + n(with.surplusDropped()) + " dropped"));
        rows.add(row("repair bytes moved per byte stored", String.format(Locale.ROOT, "%.1f (fetched + written, over the year)",
                (double) (with.bytesFetched() + with.bytesWritten()) / stored)));
        rows.add(row("repair bytes moved per byte rebuilt", String.format(Locale.ROOT,
                "%.2f fetched + written (%.2f fetched only; ideal for RS %d + %d: %d + 1 = %d)", perByteRebuilt(with),
                (double) with.bytesFetched() / with.bytesWritten(), MODEL.k(), MODEL.m(), MODEL.k(), MODEL.k() + 1)));
        rows.add(row("holder checks simulated", n(with.checks())));
        rows.add(row("real DHT lookups", n(answers.lookups()) + " (" + ms(answers.lookupTime()) + "), answers reused "
                + n(answers.reused()) + ", " + n(answers.spotCheckAgreements()) + " of " + n(answers.spotChecks())
                + " spot checks agreed"));
        rows.add(row("wall time", String.format(Locale.ROOT, "%.1f s (network build %.1f s, placement %.1f s, year without"
                        + " repair %.1f s, with repair %.1f s of which joins %.1f s); CPU %.1f s", secs(total), secs(build),
                secs(placement), secs(without.wallTime()), secs(with.wallTime()), secs(with.joinTime()), secs(cpu))));
        int w = "figure".length();
        for (String[] r : rows) {
            w = Math.max(w, r[0].length());
        }
        System.out.printf("DURABILITY | %-" + w + "s | %s |%n", "figure", "value");
        System.out.printf("DURABILITY | %s | --- |%n", "-".repeat(w));
        for (String[] r : rows) {
            System.out.printf("DURABILITY | %-" + w + "s | %s |%n", r[0], r[1]);
        }
    }

    private static String[] row(String figure, String value) {
        return new String[] {figure, value};
    }

    private static String n(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String ms(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", secs(d));
    }

    private static double secs(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static Duration since(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }
}
