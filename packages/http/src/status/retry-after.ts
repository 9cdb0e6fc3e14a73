/**
 * Longest pushback read from a `Retry-After` header (one day). Longer ones are clamped to it, not
 * ignored: ignoring "come back in two days" would let the retry policy fall back to its own
 * millisecond backoff and retry at once, the opposite of what the server asked. Clamped, the
 * pushback outlasts any sensible deadline, so the policy gives up instead.
 */
const MAX_RETRY_AFTER_MS = 86_400_000;
const ASCTIME = /^[a-z]{3} [a-z]{3} [ \d]?\d \d\d:\d\d:\d\d \d{4}$/i;

/**
 * Parses a `Retry-After` header into milliseconds from `now`: delay-seconds (`"2"`) or an HTTP
 * date (`"Wed, 21 Oct 2015 07:28:00 GMT"`; a date in the past gives 0). `undefined` for a missing or
 * malformed value; anything over a day reads as one day.
 *
 * @example
 * ```ts
 * parseRetryAfterMs('1'); // 1000
 * ```
 */
export function parseRetryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) {
    return Math.min(Number(text) * 1_000, MAX_RETRY_AFTER_MS);
  }
  // HTTP dates are GMT; the obsolete asctime form (`Sun Nov  6 08:49:37 1994`) says so nowhere,
  // and Date.parse read it as local time: hours off on a host not set to UTC.
  const date = Date.parse(ASCTIME.test(text) ? `${text} GMT` : text);
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
