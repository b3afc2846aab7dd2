package io.shardmesh.common.log;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;

/**
 * One warning line per kind of refused connection (a plaintext caller at a TLS node, a
 * certificate that proves no node id, ...), then silence for {@link #QUIET} while the same kind
 * repeats: a peer that retries every second, or floods, cannot fill the log. The next line of
 * that kind says how many were left out.
 */
public final class RefusalLog {

    /** How long the same kind of refusal is counted instead of logged. */
    public static final Duration QUIET = Duration.ofMinutes(10);

    private final Logger log;
    private final Clock clock;
    private final ConcurrentMap<String, Seen> seen = new ConcurrentHashMap<>();

    private record Seen(long loggedAtMs, long leftOut) {
    }

    public RefusalLog(Logger log, Clock clock) {
        this.log = requireNonNull(log, "log");
        this.clock = requireNonNull(clock, "clock");
    }

    /**
     * Logs {@code what} ("refused a plaintext connection: ...") unless a refusal of the same
     * {@code kind} was logged less than {@link #QUIET} ago; returns whether it did.
     */
    public boolean refused(String kind, String what) {
        long now = clock.millis();
        long[] leftOut = {-1};
        seen.compute(kind, (k, s) -> {
            if (s != null && now - s.loggedAtMs() < QUIET.toMillis()) {
                return new Seen(s.loggedAtMs(), s.leftOut() + 1);
            }
            leftOut[0] = s == null ? 0 : s.leftOut();
            return new Seen(now, 0);
        });
        if (leftOut[0] < 0) {
            return false;
        }
        if (leftOut[0] > 0) {
            log.warn("{} ({} more like it in the last {} min not logged)", what, leftOut[0], QUIET.toMinutes());
        } else {
            log.warn("{} (the same again is logged at most once per {} min)", what, QUIET.toMinutes());
        }
        return true;
    }
}
