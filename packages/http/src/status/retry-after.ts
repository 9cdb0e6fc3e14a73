/** Longest pushback accepted from a `Retry-After` header (one day); larger values are ignored as garbage. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * Parses a `Retry-After` header into milliseconds from `now`: delay-seconds (`"2"`) or an HTTP
 * date (`"Wed, 21 Oct 2015 07:28:00 GMT"`; a date in the past gives 0). `undefined` for a missing,
 * malformed or absurd (over a day) value.
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
    const ms = Number(text) * 1_000;
    return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return undefined;
  const ms = Math.max(0, date - now);
  return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}
