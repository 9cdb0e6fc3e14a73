/** The header that carries a request's remaining deadline, in whole milliseconds. */
export const DEFAULT_DEADLINE_HEADER = 'x-switchyard-deadline-ms';

/** The largest budget accepted from a header (a day): more is treated as none. */
const MAX_HEADER_MS = 86_400_000;

/**
 * The absolute deadline (ms, `Date.now()` clock) an incoming header value stands for, measured
 * from `receivedAt`; `Infinity` when the header is absent or malformed (a bad header never fails
 * a request, it just carries no deadline).
 */
export function parseDeadlineHeader(value: string | string[] | undefined, receivedAt: number): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d{1,9}$/.test(text)) return Number.POSITIVE_INFINITY;
  const ms = Number(text);
  return ms > MAX_HEADER_MS ? Number.POSITIVE_INFINITY : receivedAt + ms;
}
