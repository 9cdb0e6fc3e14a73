/** The header that carries a request's remaining deadline, in whole milliseconds. */
export const DEFAULT_DEADLINE_HEADER = 'x-switchyard-deadline-ms';

/** The largest budget accepted from a header (a day): more is treated as none. */
const MAX_HEADER_MS = 86_400_000;

/**
 * The absolute deadline (ms, `Date.now()` clock) an incoming header value stands for, measured
 * from `receivedAt`; `Infinity` when the header is absent or malformed (a bad header never fails
 * a request, it just carries no deadline). A header sent twice (Node joins the values with ", ",
 * or hands an array) means the smaller budget: the stricter caller wins, as in gRPC.
 */
export function parseDeadlineHeader(value: string | string[] | undefined, receivedAt: number): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (typeof value === 'string' && !value.includes(',')) return deadlineOf(value, receivedAt);
  let earliest = Number.POSITIVE_INFINITY;
  for (const item of Array.isArray(value) ? value : [value]) {
    for (const part of item.split(',')) earliest = Math.min(earliest, deadlineOf(part.trim(), receivedAt));
  }
  return earliest;
}

function deadlineOf(text: string, receivedAt: number): number {
  if (!/^\d{1,9}$/.test(text)) return Number.POSITIVE_INFINITY;
  const ms = Number(text);
  return ms > MAX_HEADER_MS ? Number.POSITIVE_INFINITY : receivedAt + ms;
}
