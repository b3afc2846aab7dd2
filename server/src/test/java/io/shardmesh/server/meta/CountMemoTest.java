package io.shardmesh.server.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CountMemoTest {

    @Test
    void countsOnce_untilAWrite_thenAgain() {
        CountMemo memo = new CountMemo();
        AtomicInteger queries = new AtomicInteger();
        AtomicLong rows = new AtomicLong(5);
        for (int i = 0; i < 100; i++) {
            assertThat(memo.get(() -> {
                queries.incrementAndGet();
                return rows.get();
            })).isEqualTo(5);
        }
        assertThat(queries).hasValue(1);

        rows.set(6);
        memo.written();
        assertThat(memo.get(() -> {
            queries.incrementAndGet();
            return rows.get();
        })).isEqualTo(6);
        assertThat(queries).hasValue(2);
    }

    @Test
    void aWriteLandingDuringACount_isCountedByTheNextCall() {
        CountMemo memo = new CountMemo();
        AtomicLong rows = new AtomicLong(1);
        // The write commits while the count runs and is acknowledged after it returns.
        assertThat(memo.get(() -> {
            rows.set(2);
            return 1;
        })).isEqualTo(1);
        memo.written();
        assertThat(memo.get(rows::get)).isEqualTo(2);
    }
}
