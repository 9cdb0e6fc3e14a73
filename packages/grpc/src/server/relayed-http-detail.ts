import { codeInWords, type SwitchyardError } from '@switchyard/core';

// What a gRPC handler's reply says for a downstream HTTP call's failure that it passes on. The
// rules are @switchyard/http's own for its server's 4xx replies (publicClientErrorMessage in
// packages/http/src/server/error-reply.ts): keep them in step.

/** How much of a downstream's detail a reply repeats. */
const MAX_DETAIL_CHARS = 500;

/** The fields of @switchyard/http's HttpCallError that the reply is made from. */
interface HttpCallErrorFields {
  status: number;
  body: string;
  headers: Record<string, unknown>;
  bodyTruncated?: unknown;
}

/**
 * For @switchyard/http's HttpCallError (recognised by its fields: that package is not a dependency
 * of this one), what the downstream said: its error body's message (a Switchyard server's `{ error:
 * { message } }`, a `message`, `detail` or `error` field, or a short plain-text body), at most 500
 * characters, or the code in words (`not found`) when the body says nothing usable (empty, cut at
 * the client's limit, an HTML page). Never the error's message, `<service> <METHOD> <path>: HTTP
 * <status> <CODE>: <body>`, which names internal services and paths. Undefined for other errors.
 */
export function relayedHttpDetail(error: SwitchyardError): string | undefined {
  if (!isHttpCallError(error)) return undefined;
  return httpBodyDetail(error) ?? codeInWords(error);
}

function isHttpCallError(error: SwitchyardError): error is SwitchyardError & HttpCallErrorFields {
  const fields = error as unknown as Partial<HttpCallErrorFields>;
  return (
    typeof fields.status === 'number' &&
    typeof fields.body === 'string' &&
    typeof fields.headers === 'object' &&
    fields.headers !== null
  );
}

function httpBodyDetail(error: HttpCallErrorFields): string | undefined {
  if (error.bodyTruncated === true || error.body.trim() === '') return undefined;
  const type = String(error.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json')) return bounded(messageIn(parsedJson(error.body)));
  if (type === '' || type.startsWith('text/plain')) return bounded(error.body);
  return undefined; // HTML error pages and the like: not a message
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

function bounded(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  return trimmed.length > MAX_DETAIL_CHARS ? `${trimmed.slice(0, MAX_DETAIL_CHARS)}…` : trimmed;
}
