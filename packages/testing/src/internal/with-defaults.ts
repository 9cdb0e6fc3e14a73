import { SwitchyardTestingError } from '../testing-error.js';

/**
 * `defaults` overridden by the options that are given: one set to `undefined` keeps its default, as
 * the optional types promise. A plain spread let `undefined` replace it: `startRedis({ args: undefined })`
 * failed as INVALID_ARGUMENT, and `dockerAvailable({ timeoutMs: undefined })` probed with no timeout.
 * An own `__proto__` key (as `JSON.parse` of a config makes) is refused with `INVALID_ARGUMENT`.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O | undefined): D & O {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  if (options !== undefined) {
    for (const [key, value] of Object.entries(options)) {
      // Assigned, it ran the prototype setter: the merged options inherited whatever was under it
      // (past any key check on the given object), and a non-object value was dropped unseen.
      if (key === '__proto__') {
        throw new SwitchyardTestingError(
          'INVALID_ARGUMENT',
          '__proto__ is not an option (a key JSON.parse kept from a config?)',
        );
      }
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged as D & O;
}
