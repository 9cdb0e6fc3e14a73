/**
 * An error as a JSON-ready record, for the console logger, as pino's error serializer writes it.
 * `JSON.stringify` writes an Error's own enumerable properties only: `message`, `stack` and `cause`
 * are not among them, so a Switchyard error came out as `{ code, retryable, name }`, and a plain
 * one as `{}`.
 */

/** Errors nested below the first one that are written, at most (a chain that long is a loop or a bug). */
const MAX_NESTED_ERRORS = 8;

/**
 * `{ type, message, stack, ...own enumerable fields, cause }` of `error`, with the errors among its
 * fields (a `cause`, the `errors[]` of RetryExhaustedError or AggregateError) written the same way.
 * An error met again inside itself is written `[Circular]`, and one nested deeper than 8
 * `[Truncated]`, instead of recursing until the stack overflows.
 */
export function errorRecord(error: Error): Record<string, unknown> {
  return recordOf(error, []);
}

function recordOf(error: Error, ancestors: Error[]): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  if (typeof error.stack === 'string') out.stack = error.stack;
  ancestors.push(error);
  for (const key of Object.keys(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    out[key] = nestedValue((error as unknown as Record<string, unknown>)[key], ancestors);
  }
  // An AggregateError's `errors` is not enumerable, so the loop above skips it; yet it holds all the
  // error says: Node's connect to a name with several addresses (happy eyeballs) fails with one whose
  // message is empty, the refusal of each address in `errors`. Written as pino writes it (its
  // `aggregateErrors`), under the name the error gives it.
  const errors = (error as { errors?: unknown }).errors;
  if (!('errors' in out) && Array.isArray(errors)) out.errors = errors.map((item) => nestedValue(item, ancestors));
  if (error.cause !== undefined) out.cause = nestedValue(error.cause, ancestors);
  ancestors.pop();
  return out;
}

function nestedValue(value: unknown, ancestors: Error[]): unknown {
  if (value instanceof Error) {
    if (ancestors.includes(value)) return '[Circular]';
    if (ancestors.length > MAX_NESTED_ERRORS) return '[Truncated]';
    return recordOf(value, ancestors);
  }
  if (Array.isArray(value) && value.some((item) => item instanceof Error)) {
    return value.map((item) => nestedValue(item, ancestors));
  }
  return value;
}
