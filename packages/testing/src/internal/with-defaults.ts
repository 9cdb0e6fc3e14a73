/**
 * `defaults` overridden by the options that are given: one set to `undefined` keeps its default, as
 * the optional types promise. A plain spread let `undefined` replace it: `startRedis({ args: undefined })`
 * failed as INVALID_ARGUMENT, and `dockerAvailable({ timeoutMs: undefined })` probed with no timeout.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O | undefined): D & O {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  if (options !== undefined) {
    for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  }
  return merged as D & O;
}
