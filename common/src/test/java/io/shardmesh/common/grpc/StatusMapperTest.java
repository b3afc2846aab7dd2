package io.shardmesh.common.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.Exceptions;

class StatusMapperTest {

    @Test
    void fromThrowable_severalBranchesFailedAtOnce_isTheFirstFailureWithAKind() {
        Throwable both = reactor.core.Exceptions.multiple(new IllegalStateException("cancelled"),
                MeshException.resourceExhausted("storage quota of 1 MiB is full"),
                MeshException.unavailable("node gone"));

        MeshException e = StatusMapper.fromThrowable(both, "put");

        assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("quota").doesNotContain("Multiple exceptions");
        assertThat(StatusMapper.toStatus(both).getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void toStatus_invalidArgument_isInvalidArgumentWithMessage() {
        Status s = StatusMapper.toStatus(MeshException.invalidArgument("chunk_id must be 64 lowercase hex characters"));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).isEqualTo("chunk_id must be 64 lowercase hex characters");
        assertThat(s.getCause()).isNull();
    }

    @Test
    void toStatus_notFound_isNotFound() {
        assertThat(StatusMapper.toStatus(MeshException.notFound("no chunk abc")).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void toStatus_dataLoss_isDataLoss() {
        assertThat(StatusMapper.toStatus(MeshException.dataLoss("hash mismatch")).getCode()).isEqualTo(Status.Code.DATA_LOSS);
    }

    @Test
    void toStatus_resourceExhausted_isResourceExhausted() {
        assertThat(StatusMapper.toStatus(MeshException.resourceExhausted("quota")).getCode())
                .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void toStatus_unavailable_isUnavailable() {
        assertThat(StatusMapper.toStatus(MeshException.unavailable("peer down")).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void toStatus_deadlineAndTimeout_areDeadlineExceeded() {
        assertThat(StatusMapper.toStatus(MeshException.deadlineExceeded("late")).getCode())
                .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(StatusMapper.toStatus(new TimeoutException("Did not observe any item within 5000ms")).getCode())
                .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }

    @Test
    void toStatus_permissionDenied_isPermissionDenied() {
        assertThat(StatusMapper.toStatus(MeshException.permissionDenied("bad signature")).getCode())
                .isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void toStatus_outOfRange_isOutOfRange() {
        assertThat(StatusMapper.toStatus(MeshException.outOfRange("offset 9 > 3")).getCode())
                .isEqualTo(Status.Code.OUT_OF_RANGE);
    }

    @Test
    void toStatus_unexpectedException_isInternalWithoutDetails() {
        Status s = StatusMapper.toStatus(new NullPointerException("secret internals at Foo.java:12"));
        assertThat(s.getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(s.getDescription()).doesNotContain("Foo.java").doesNotContain("NullPointer");
        assertThat(s.getCause()).isNull();
    }

    @Test
    void toStatus_unknownStatusFromBelow_neverEscapesAsUnknown() {
        Status s = StatusMapper.toStatus(Status.UNKNOWN.withDescription("boom").asRuntimeException());
        assertThat(s.getCode()).isEqualTo(Status.Code.INTERNAL);
    }

    @Test
    void toStatus_wrappedByReactorOrFutures_isUnwrapped() {
        assertThat(StatusMapper.toStatus(Exceptions.propagate(new TimeoutException())).getCode())
                .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(StatusMapper.toStatus(new CompletionException(MeshException.notFound("x"))).getCode())
                .isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void toStatus_illegalArgument_isInvalidArgument() {
        assertThat(StatusMapper.toStatus(new IllegalArgumentException("k must be at least 1, got 0")).getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void toStatus_statusFromAPeer_keepsItsCodeButDropsItsCause() {
        StatusRuntimeException fromPeer = Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new RuntimeException("x")).asRuntimeException();
        Status s = StatusMapper.toStatus(fromPeer);
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getCause()).isNull();
    }

    @ParameterizedTest
    @EnumSource(ErrorKind.class)
    void kindRoundTrip_everyKindSurvivesTheWire(ErrorKind kind) {
        StatusRuntimeException onWire = StatusMapper.toStatusException(new MeshException(kind, "m"));
        assertThat(onWire.getStatus().getCode()).isNotEqualTo(Status.Code.UNKNOWN);
        MeshException back = StatusMapper.fromThrowable(onWire, "GetChunk from 127.0.0.1:7071");
        assertThat(back.kind()).isEqualTo(kind);
        assertThat(back.getMessage()).isEqualTo("GetChunk from 127.0.0.1:7071: m");
    }
}
