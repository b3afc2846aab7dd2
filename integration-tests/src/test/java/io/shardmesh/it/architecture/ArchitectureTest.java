package io.shardmesh.it.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The layout DESIGN.md and STYLE.md describe, as rules over the main classes of every module:
 * they fail the build when a package cycle, a dependency against the layers, gRPC outside its
 * edge, or wall-clock time in feature code creeps in.
 */
class ArchitectureTest {

    /** Every module's main classes, imported once. A rule that matches no class fails (ArchUnit's default). */
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(new MainClassesOnly())
            .importPackages("io.shardmesh");

    /** Main code only: not test classes, not the server's test jar. */
    static final class MainClassesOnly implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("/test-classes/") && !location.contains("-tests.jar");
        }
    }

    /** The feature packages of each module, e.g. {@code common.dht} and {@code server.chunk}, form no cycle. */
    private static final ArchRule NO_PACKAGE_CYCLES = slices().matching("io.shardmesh.(*).(*)..")
            .should().beFreeOfCycles();

    /** Modules are layers: proto ← common ← server ← cli (DESIGN.md, "Modules"). */
    private static final ArchRule MODULES_ARE_LAYERS = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("proto").definedBy("io.shardmesh.proto..")
            .layer("common").definedBy("io.shardmesh.common..")
            .layer("server").definedBy("io.shardmesh.server..")
            .layer("cli").definedBy("io.shardmesh.cli..")
            .whereLayer("cli").mayNotBeAccessedByAnyLayer()
            .whereLayer("server").mayOnlyBeAccessedByLayers("cli")
            .whereLayer("common").mayOnlyBeAccessedByLayers("server", "cli")
            .whereLayer("proto").mayOnlyBeAccessedByLayers("common", "server", "cli");

    /** grpc-java stays at the edge: the grpc packages, and the command line's NodeClient. */
    private static final ArchRule GRPC_ONLY_AT_THE_EDGE = noClasses()
            .that().resideOutsideOfPackages("io.shardmesh..grpc..", "io.shardmesh.proto..")
            .and().doNotHaveFullyQualifiedName("io.shardmesh.cli.NodeClient")
            .should().dependOnClassesThat().resideInAPackage("io.grpc..")
            .because("feature code works on its own records; only the adapters speak gRPC (STYLE.md 2)");

    /**
     * Generated wire types stay at the edge too: the grpc packages, the command line (a gRPC
     * client), and the two codecs of stored bytes, which live with the type they encode.
     */
    private static final ArchRule WIRE_TYPES_ONLY_AT_THE_EDGE = noClasses()
            .that().resideOutsideOfPackages("io.shardmesh..grpc..", "io.shardmesh.proto..", "io.shardmesh.cli..")
            .and().haveNameNotMatching("io\\.shardmesh\\.common\\.(manifest\\.ManifestCodec|dht\\.RecordCodec)(\\$.*)?")
            .should().dependOnClassesThat().resideInAPackage("io.shardmesh.proto..")
            .because("codecs for stored bytes live with the type they encode, all else converts at the edge (STYLE.md 24)");

    /** Feature packages do not reach into the gRPC adapters; the composition root and the CLI wire them. */
    private static final ArchRule FEATURES_DO_NOT_DEPEND_ON_ADAPTERS = noClasses()
            .that().resideOutsideOfPackages("io.shardmesh..grpc..", "io.shardmesh.server.node..", "io.shardmesh.cli..",
                    "io.shardmesh.proto..")
            .should().dependOnClassesThat().resideInAPackage("io.shardmesh..grpc..");

    /** Wall-clock time and timers are injected (a Clock, a timer Scheduler), never taken in feature code. */
    private static final ArchRule TIME_IS_INJECTED = noClasses()
            .that().resideInAnyPackage("io.shardmesh.common..", "io.shardmesh.server..")
            .and().resideOutsideOfPackage("io.shardmesh.server.node..")
            .should().callMethod(Instant.class, "now")
            .orShould().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(java.time.Clock.class, "systemUTC")
            .orShould().callMethod(Schedulers.class, "parallel")
            .orShould().callMethod(Schedulers.class, "single")
            // The overloads without a Scheduler run on Schedulers.parallel(), out of a test's virtual time.
            .orShould().callMethod(Mono.class, "delay", Duration.class)
            .orShould().callMethod(Flux.class, "interval", Duration.class)
            .orShould().callMethod(Flux.class, "interval", Duration.class, Duration.class)
            .orShould().callMethod(Mono.class, "timeout", Duration.class)
            .orShould().callMethod(Mono.class, "timeout", Duration.class, Mono.class)
            .orShould().callMethod(Flux.class, "timeout", Duration.class)
            .orShould().callMethod(Flux.class, "timeout", Duration.class, Publisher.class)
            .because("time comes in (STYLE.md 27), so tests run hours in milliseconds");

    @Test
    void noPackageCycles() {
        NO_PACKAGE_CYCLES.check(MAIN);
    }

    @Test
    void modulesAreLayers() {
        MODULES_ARE_LAYERS.check(MAIN);
    }

    @Test
    void grpcOnlyAtTheEdge() {
        GRPC_ONLY_AT_THE_EDGE.check(MAIN);
    }

    @Test
    void wireTypesOnlyAtTheEdge() {
        WIRE_TYPES_ONLY_AT_THE_EDGE.check(MAIN);
    }

    @Test
    void featuresDoNotDependOnAdapters() {
        FEATURES_DO_NOT_DEPEND_ON_ADAPTERS.check(MAIN);
    }

    @Test
    void timeIsInjected() {
        TIME_IS_INJECTED.check(MAIN);
    }
}
