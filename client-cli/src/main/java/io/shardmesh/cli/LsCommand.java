package io.shardmesh.cli;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.units.Sizes;
import io.shardmesh.proto.v1.FileEntry;
import io.shardmesh.proto.v1.FilesListRequest;
import io.shardmesh.proto.v1.FilesListResponse;
import io.shardmesh.proto.v1.FilesStatRequest;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.server.grpc.TransportSecurity;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code shardmesh ls}: the files a node knows, or every online peer's lists merged. */
@Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true,
        description = "List the files a node knows (put through it, or whose manifest it keeps); --network adds its"
                + " peers' lists and says how many of the nodes asked list each file.",
        footer = {"", "Example:", "  shardmesh ls", "  shardmesh ls --network --json"})
final class LsCommand implements Callable<Integer> {

    static final int PAGE = 1000;

    @Spec
    CommandSpec spec;

    @Mixin
    GlobalOptions global;

    @Option(names = "--network", description = "Ask every online peer of the node too, and merge the lists.")
    boolean network;

    /** Every file {@code node} knows, all pages; {@code what} names the calls in errors. */
    static List<FileEntry> list(NodeClient node, String what) {
        List<FileEntry> files = new ArrayList<>();
        String token = "";
        do {
            String page = token;
            FilesListResponse r = node.call(what, stubs -> stubs.files().list(FilesListRequest.newBuilder()
                    .setPageSize(PAGE).setPageToken(page).build()));
            files.addAll(r.getFilesList());
            token = r.getNextPageToken();
        } while (!token.isEmpty());
        return files;
    }

    /** Most peers a network listing asks besides the node (each costs a List). */
    static final int MAX_PEERS = 32;

    /** Every file the listing found, and the nodes that list it. */
    record Known(Map<String, FileEntry> files, Map<String, Set<HostPort>> knownAt, int asked) {
    }

    /**
     * The files {@code node} lists and, with {@code network}, those its online peers list (at
     * most {@link #MAX_PEERS}), merged by id. A peer that does not answer is passed over with a
     * warning on {@code err}.
     */
    static Known known(HostPort node, TransportSecurity security, boolean network, String what, PrintWriter err) {
        Map<String, FileEntry> files = new LinkedHashMap<>();
        Map<String, Set<HostPort>> knownAt = new HashMap<>();
        List<HostPort> peers = new ArrayList<>();
        try (NodeClient client = new NodeClient(node, security)) {
            if (network) {
                for (var p : client.call("peers", stubs -> stubs.node().listPeers(ListPeersRequest.getDefaultInstance()))
                        .getPeersList()) {
                    if (p.getStatus() == PeerStatus.PEER_STATUS_ONLINE && peers.size() < MAX_PEERS) {
                        peers.add(new HostPort(p.getContact().getHost(), p.getContact().getPort()));
                    }
                }
            }
            list(client, what).forEach(f -> {
                files.putIfAbsent(f.getFileId(), f);
                knownAt.computeIfAbsent(f.getFileId(), x -> new LinkedHashSet<>()).add(node);
            });
        }
        int asked = 1;
        for (HostPort n : peers) {
            try (NodeClient peer = new NodeClient(n, security)) {
                list(peer, what).forEach(f -> {
                    files.putIfAbsent(f.getFileId(), f);
                    knownAt.computeIfAbsent(f.getFileId(), x -> new LinkedHashSet<>()).add(n);
                });
                asked++;
            } catch (MeshException e) {
                err.printf("warning: %s did not answer (%s)%n", n, e.kind());
                err.flush();
            }
        }
        return new Known(files, knownAt, asked);
    }

    /** Most files whose holders {@code ls --network} probes (each costs a Stat). */
    static final int MAX_HEALTH_PROBES = 200;

    /** Each file's worst stripe, from a live probe of its holders (Files.Stat at the node). */
    private Map<String, String> health(Collection<String> ids) {
        Map<String, String> out = new HashMap<>();
        try (NodeClient node = new NodeClient(global.node(), global.security())) {
            for (String id : ids.stream().limit(MAX_HEALTH_PROBES).toList()) {
                try {
                    var s = node.call("stat", NodeClient.LOOKUP_DEADLINE, stubs -> stubs.files().stat(
                            FilesStatRequest.newBuilder().setFileId(id).build()));
                    int worst = s.getStripesList().stream().mapToInt(x -> x.getLossesSurvivable()).min().orElse(s.getFile().getM());
                    out.put(id, worst < 0 ? "UNREADABLE" : "survives " + worst + " of " + s.getFile().getM());
                } catch (MeshException e) {
                    out.put(id, "? (" + e.kind().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")");
                }
            }
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        Known known = known(global.node(), global.security(), network, "ls", spec.commandLine().getErr());
        Map<String, FileEntry> files = known.files();
        Map<String, String> health = network && !global.json && !global.quiet ? health(files.keySet()) : Map.of();
        NodeClient.print(global, spec.commandLine().getOut(), FilesListResponse.newBuilder().addAllFiles(files.values()).build(), out -> {
            if (global.quiet) {
                files.keySet().forEach(out::println);
                return;
            }
            String header = String.format("%-64s  %10s  %-5s  %-20s", "FILE ID", "SIZE", "K+M", "CREATED");
            out.println(header + (network ? String.format("  %-22s  %-9s", "HEALTH (WORST STRIPE)", "LISTED AT") : "")
                    + "  NAME");
            for (FileEntry f : files.values()) {
                String line = String.format("%-64s  %10s  %-5s  %-20s", f.getFileId(), Sizes.format(f.getSize()),
                        f.getK() + "+" + f.getM(), Instant.ofEpochMilli(f.getCreatedAtUnixMs()).toString().substring(0, 19));
                String listedAt = known.knownAt().get(f.getFileId()).size() + " of " + known.asked();
                out.println(line + (network ? String.format("  %-22s  %-9s", health.getOrDefault(f.getFileId(), "?"), listedAt)
                        : "") + "  " + (f.getEncrypted() && f.getName().isEmpty() ? "(encrypted)" : f.getName()));
            }
        });
        return ExitCodes.OK;
    }
}
