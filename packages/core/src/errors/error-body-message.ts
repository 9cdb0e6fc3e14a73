/**
 * What a server repeats of a downstream's own words when it relays a downstream call's failure:
 * @switchyard/http's server (a 4xx reply) and @switchyard/grpc's (a relayed HTTP call error) share
 * these rules, so that a caller reads the same detail whichever protocol answers it.
 */

/** How much of a downstream's detail a reply repeats. */
const MAX_DETAIL_CHARS = 500;

/** The fields of an HTTP call's error response that the detail is read from (@switchyard/http's HttpCallError has them). */
export interface ErrorResponseFields {
  readonly body: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** The body was cut at the client's limit: not a message to repeat. */
  readonly bodyTruncated?: unknown;
}

/**
 * The message of an HTTP error response's body: a Switchyard server's `{ error: { message } }`, a
 * `message`, `detail` or `error` field of a JSON body, or a short `text/plain` (or untyped) body,
 * trimmed and cut at 500 characters. Undefined when the body says nothing to repeat: empty, cut at
 * the client's limit, not JSON as it claims, or another type (an HTML error page).
 */
export function errorBodyMessage(response: ErrorResponseFields): string | undefined {
  if (response.bodyTruncated === true || response.body.trim() === '') return undefined;
  const type = String(response.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) return boundedDetail(messageIn(parsedJson(response.body)));
  if (type === '' || type.startsWith('text/plain')) return boundedDetail(response.body);
  return undefined;
}

/** `text` trimmed and cut at 500 characters (with `…`); undefined when it is empty or missing. */
export function boundedDetail(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  return trimmed.length > MAX_DETAIL_CHARS ? `${trimmed.slice(0, MAX_DETAIL_CHARS)}…` : trimmed;
}

function parsedJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The message of a JSON error body: `{ error: { message } }`, `{ message }`, `{ detail }`, `{ error }`, or a string. */
function messageIn(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const { error, message, detail } = value as Record<string, unknown>;
  const nested = typeof error === 'object' && error !== null ? (error as Record<string, unknown>).message : undefined;
  for (const candidate of [nested, message, detail, error]) if (typeof candidate === 'string') return candidate;
  return undefined;
}
