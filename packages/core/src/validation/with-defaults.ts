/**
 * `defaults` overridden by the options that are given: an option set to `undefined` (e.g.
 * `retry({ maxAttempts: config.retries })` with nothing configured) keeps its default, as the
 * optional types promise. A plain spread let `undefined` replace the default, and a policy that
 * was given nothing refused to be built ("must be an integer …, got undefined").
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O | undefined): D & O {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  if (options !== undefined) {
    for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  }
  return merged as D & O;
}
