// Go durations as docker's flags take them (--health-interval and its cousins, --stop-timeout's
// relatives): src/go/duration.ts with a UsageError that says what to give.
import { UsageError } from '../../errors.js';
import { formatGoDuration, GoDurationError, parseGoDuration } from '../../go/duration.js';

export { HOUR, MICROSECOND, MILLISECOND, MINUTE, NANOSECOND, SECOND, timeQuote } from '../../go/duration.js';

/** time.ParseDuration: "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+", e.g. "1h30m", "-1.5s", "300ms". */
export function parseDuration(text: string): bigint {
  try {
    return parseGoDuration(text);
  } catch (e) {
    if (e instanceof GoDurationError) throw new UsageError(e.message, 'use a Go duration: a number and a unit (ns, us, ms, s, m, h), e.g. 1h30m, 10s, 1.5h');
    throw e;
  }
}

/** Duration.String: "1h30m0s", "1.5s", "300ms", "2µs", "0s". */
export const formatDuration = formatGoDuration;
