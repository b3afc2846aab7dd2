package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DefaultDeadlineTest {

    private static final Metadata.Key<String> TIMEOUT = Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);

    @Test
    void grpcTimeoutValues_parseInEveryUnit_saturating_andMalformedOnesAreLeftAlone() {
        assertThat(DefaultDeadline.nanos("2H")).isEqualTo(Duration.ofHours(2).toNanos());
        assertThat(DefaultDeadline.nanos("3M")).isEqualTo(Duration.ofMinutes(3).toNanos());
        assertThat(DefaultDeadline.nanos("4S")).isEqualTo(Duration.ofSeconds(4).toNanos());
        assertThat(DefaultDeadline.nanos("5m")).isEqualTo(Duration.ofMillis(5).toNanos());
        assertThat(DefaultDeadline.nanos("6u")).isEqualTo(6_000);
        assertThat(DefaultDeadline.nanos("7n")).isEqualTo(7);
        assertThat(DefaultDeadline.nanos("99999999H")).isEqualTo(Long.MAX_VALUE);
        assertThat(DefaultDeadline.nanos("")).isEqualTo(-1);
        assertThat(DefaultDeadline.nanos("S")).isEqualTo(-1);
        assertThat(DefaultDeadline.nanos("12x")).isEqualTo(-1);
        assertThat(DefaultDeadline.nanos("123456789S")).isEqualTo(-1);
        assertThat(DefaultDeadline.nanos("-1S")).isEqualTo(-Duration.ofSeconds(1).toNanos());
    }

    @Test
    void missingOrLongerDeadlines_becomeTheNodes_shorterOnesStay() {
        DefaultDeadline bound = new DefaultDeadline(Duration.ofMinutes(10));
        assertThat(timeoutAfter(bound, null)).isEqualTo("600000m");
        assertThat(timeoutAfter(bound, "1H")).isEqualTo("600000m");
        assertThat(timeoutAfter(bound, "30S")).isEqualTo("30S");
    }

    private static String timeoutAfter(DefaultDeadline bound, String given) {
        Metadata headers = new Metadata();
        if (given != null) {
            headers.put(TIMEOUT, given);
        }
        bound.newServerStreamTracer("shardmesh.v1.Node/Status", headers);
        return headers.get(TIMEOUT);
    }
}
