import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * `defaults` overridden by the options that are given: an option set to `undefined` (e.g.
 * `retry({ maxAttempts: config.retries })` with nothing configured) keeps its default, as the
 * optional types promise. A plain spread let `undefined` replace the default, and a policy that
 * was given nothing refused to be built ("must be an integer …, got undefined").
 *
 * @throws InvalidArgumentError (field `__proto__`) when `options` has an own `__proto__` key, as
 * `JSON.parse` of a config file makes: it is never an option.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O | undefined): D & O {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  if (options !== undefined) {
    for (const [key, value] of Object.entries(options)) {
      // Assigned, an own "__proto__" key (JSON.parse makes one) ran the prototype setter: the merged
      // options inherited whatever was under it, past every key check made on the given object
      // (a config could slip options in that way), and a non-object value was dropped unseen.
      if (key === '__proto__') {
        throw new InvalidArgumentError('__proto__', 'is not an option (a key JSON.parse kept from a config?)');
      }
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged as D & O;
}
