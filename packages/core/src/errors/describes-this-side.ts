import { SwitchyardError } from './switchyard-error.js';

// Symbol.for: two copies of @switchyard/core in one process still agree on the mark.
const MARK = Symbol.for('switchyard.describesThisSide');

/**
 * Marks an error a client raised about its own side of a downstream call, whose message names
 * that downstream (its address), under a code a server would otherwise relay word for word: a
 * response over the client's size limits is RESOURCE_EXHAUSTED, which replies 429 and told a
 * public caller the internal address it came from. A server relaying a marked error from a
 * handler replies with the code in words (`resource exhausted`) and logs the message instead, as
 * it does for UNAVAILABLE. Returns the error.
 */
export function markDescribesThisSide<E extends SwitchyardError>(error: E): E {
  Object.defineProperty(error, MARK, { value: true });
  return error;
}

/** Whether `error` was marked by {@link markDescribesThisSide}: its message is not for the caller's caller. */
export function describesThisSide(error: unknown): boolean {
  return SwitchyardError.isInstance(error) && (error as unknown as Record<symbol, unknown>)[MARK] === true;
}

/** An error's code in words, for a reply that does not repeat its message: `RESOURCE_EXHAUSTED` → `resource exhausted`. */
export function codeInWords(error: SwitchyardError): string {
  return error.code.toLowerCase().replaceAll('_', ' ');
}
