/**
 * What a server repeats of a downstream's own words when it relays a downstream call's failure:
 * @switchyard/http's server (a 4xx reply) and @switchyard/grpc's (a relayed HTTP call error) share
 * these rules, so that a caller reads the same detail whichever protocol answers it.
 */

/** How much of a downstream's detail a reply repeats. */
const MAX_DETAIL_CHARS = 500;

/** The fields of an HTTP call's error response that the detail is read from (@switchyard/http's HttpCallError has them). */
export interface ErrorResponseFields {
  /** The response body as text (possibly cut at the client's limit: see `bodyTruncated`). */
  readonly body: string;
  /** The response headers, names lower-case (`content-type` says how to read the body). */
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

/**
 * `text` trimmed and cut at 500 characters (with `…`); undefined when it is empty or missing. The
 * result is always well-formed UTF-16: the cut never splits a surrogate pair, and a lone surrogate
 * in the text (a JSON body may escape one, `"\ud83d"`) becomes U+FFFD. grpc-js sends a status's
 * details through `encodeURI`, which throws on a lone surrogate: the relaying server's reply
 * failed and its caller waited for its deadline.
 */
export function boundedDetail(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  let detail = trimmed;
  if (trimmed.length > MAX_DETAIL_CHARS) {
    // Keep a pair whole: a high surrogate as the last kept unit goes with its low half.
    const end = isHighSurrogate(trimmed.charCodeAt(MAX_DETAIL_CHARS - 1)) ? MAX_DETAIL_CHARS - 1 : MAX_DETAIL_CHARS;
    detail = `${trimmed.slice(0, end)}…`;
  }
  return detail.replace(LONE_SURROGATE, '\uFFFD');
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

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
