package io.shardmesh.it.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.it.harness.NodeTooling;
import io.shardmesh.it.harness.Paths;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The wire API passes {@code buf lint} STANDARD (buf.yaml at the root excepts only SERVICE_SUFFIX). */
class ProtoLintIT {

    @Test
    void bufLint_wireApi_hasNoFindings() throws Exception {
        Path tools = NodeTooling.require();
        NodeTooling.ProcessResult r = NodeTooling.run(Paths.repoRoot(), 120,
                tools.resolve("node_modules/.bin/buf").toString(), "lint");
        assertThat(r.output()).as("buf lint findings").isEmpty();
        assertThat(r.exitCode()).isZero();
    }
}
