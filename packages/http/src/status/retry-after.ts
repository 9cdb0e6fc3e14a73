import { parseHttpDate } from './http-date.js';

/**
 * Longest pushback read from a `Retry-After` header (one day). Longer ones are clamped to it, not
 * ignored: ignoring "come back in two days" would let the retry policy fall back to its own
 * millisecond backoff and retry at once, the opposite of what the server asked. Clamped, the
 * pushback outlasts any sensible deadline, so the policy gives up instead.
 */
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Parses a `Retry-After` header into milliseconds from `now` (default `Date.now()`): delay-seconds (`"2"`) or an HTTP
 * date in one of the three forms of RFC 9110 (`"Wed, 21 Oct 2015 07:28:00 GMT"`, the obsolete
 * `"Wednesday, 21-Oct-15 07:28:00 GMT"` and `"Wed Oct 21 07:28:00 2015"`, all GMT; a date in the
 * past gives 0). `undefined` for a missing or malformed value, including text that only looks like
 * a date (`"Mon 2030"`, `"after 10"`); anything over a day reads as one day.
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
  // Matched strictly: Date.parse made dates of loose text ('after 10' a moment long past: retry at
  // once; 'Mon 2030' years ahead: the call failed at once), and read asctime as local time.
  const date = parseHttpDate(text, now);
  if (date === undefined) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
