package io.shardmesh.cli;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.units.Sizes;
import io.shardmesh.proto.v1.FileEntry;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.ListRequest;
import io.shardmesh.proto.v1.ListResponse;
import io.shardmesh.proto.v1.PeerStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code shardmesh ls}: the files a node knows, or every online peer's lists merged. */
@Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true,
        description = "List the files a node knows (put through it, or whose manifest it keeps).",
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
            ListResponse r = node.call(what, stubs -> stubs.files().list(ListRequest.newBuilder()
                    .setPageSize(PAGE).setPageToken(page).build()));
            files.addAll(r.getFilesList());
            token = r.getNextPageToken();
        } while (!token.isEmpty());
        return files;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, FileEntry> files = new LinkedHashMap<>();
        List<HostPort> peers = new ArrayList<>();
        try (NodeClient node = new NodeClient(global.node())) {
            if (network) {
                for (var p : node.call("peers", stubs -> stubs.node().listPeers(ListPeersRequest.getDefaultInstance())).getPeersList()) {
                    if (p.getStatus() == PeerStatus.PEER_STATUS_ONLINE) {
                        peers.add(new HostPort(p.getContact().getHost(), p.getContact().getPort()));
                    }
                }
            }
            list(node, "ls").forEach(f -> files.putIfAbsent(f.getFileId(), f));
        }
        for (HostPort n : peers) {
            try (NodeClient peer = new NodeClient(n)) {
                list(peer, "ls").forEach(f -> files.putIfAbsent(f.getFileId(), f));
            } catch (MeshException e) {
                spec.commandLine().getErr().printf("warning: %s did not answer (%s)%n", n, e.kind());
            }
        }
        NodeClient.print(global, spec.commandLine().getOut(), ListResponse.newBuilder().addAllFiles(files.values()).build(), out -> {
            if (global.quiet) {
                files.keySet().forEach(out::println);
                return;
            }
            out.printf("%-64s  %10s  %-5s  %-20s  %s%n", "FILE ID", "SIZE", "K+M", "CREATED", "NAME");
            for (FileEntry f : files.values()) {
                out.printf("%-64s  %10s  %-5s  %-20s  %s%n", f.getFileId(), Sizes.format(f.getSize()), f.getK() + "+" + f.getM(),
                        Instant.ofEpochMilli(f.getCreatedAtUnixMs()).toString().substring(0, 19),
                        f.getEncrypted() && f.getName().isEmpty() ? "(encrypted)" : f.getName());
            }
        });
        return ExitCodes.OK;
    }
}
