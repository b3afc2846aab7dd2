package io.shardmesh.cli;

import com.google.protobuf.util.JsonFormat;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.units.Sizes;
import io.shardmesh.proto.v1.FileEntry;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.ListRequest;
import io.shardmesh.proto.v1.ListResponse;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PeerStatus;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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

    /** Every file {@code node} knows, all pages. */
    static List<FileEntry> list(HostPort node) {
        List<FileEntry> files = new ArrayList<>();
        try (NodeConnection c = new NodeConnection(node)) {
            String token = "";
            do {
                ListResponse page = FilesGrpc.newBlockingStub(c.channel())
                        .withDeadlineAfter(NodeConnection.UNARY_DEADLINE.toSeconds(), TimeUnit.SECONDS)
                        .list(ListRequest.newBuilder().setPageSize(PAGE).setPageToken(token).build());
                files.addAll(page.getFilesList());
                token = page.getNextPageToken();
            } while (!token.isEmpty());
        }
        return files;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, FileEntry> files = new LinkedHashMap<>();
        List<HostPort> ask = new ArrayList<>(List.of(global.node()));
        if (network) {
            try (NodeConnection c = new NodeConnection(global.node())) {
                for (var p : NodeGrpc.newBlockingStub(c.channel()).withDeadlineAfter(NodeConnection.UNARY_DEADLINE.toSeconds(), TimeUnit.SECONDS)
                        .listPeers(ListPeersRequest.getDefaultInstance()).getPeersList()) {
                    if (p.getStatus() == PeerStatus.PEER_STATUS_ONLINE) {
                        ask.add(new HostPort(p.getContact().getHost(), p.getContact().getPort()));
                    }
                }
            } catch (StatusRuntimeException e) {
                throw NodeConnection.failed(e, "node " + global.node());
            }
        }
        for (HostPort n : ask) {
            try {
                list(n).forEach(f -> files.putIfAbsent(f.getFileId(), f));
            } catch (StatusRuntimeException e) {
                if (n.equals(global.node())) {
                    throw NodeConnection.failed(e, "ls at " + n);
                }
                spec.commandLine().getErr().printf("warning: %s did not answer (%s)%n", n, e.getStatus().getCode());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (global.json) {
            out.println(JsonFormat.printer().print(ListResponse.newBuilder().addAllFiles(files.values()).build()));
        } else if (global.quiet) {
            files.keySet().forEach(out::println);
        } else {
            out.printf("%-64s  %10s  %-5s  %-20s  %s%n", "FILE ID", "SIZE", "K+M", "CREATED", "NAME");
            for (FileEntry f : files.values()) {
                out.printf("%-64s  %10s  %-5s  %-20s  %s%n", f.getFileId(), Sizes.format(f.getSize()), f.getK() + "+" + f.getM(),
                        Instant.ofEpochMilli(f.getCreatedAtUnixMs()).toString().substring(0, 19),
                        f.getEncrypted() && f.getName().isEmpty() ? "(encrypted)" : f.getName());
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
