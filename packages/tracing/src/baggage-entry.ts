import { type Context, context as api, propagation } from '@opentelemetry/api';
import { InvalidArgumentError } from '@switchyard/core';

/**
 * The value of one W3C baggage entry in `context` (default: the active one), or `undefined`.
 *
 * @example
 * ```ts
 * const track = getBaggageEntry('switchyard.track'); // e.g. 'canary'
 * ```
 */
export function getBaggageEntry(key: string, context?: Context): string | undefined {
  return propagation.getBaggage(context ?? api.active())?.getEntry(key)?.value;
}

/**
 * A copy of `context` whose baggage also holds `key=value` (replacing an entry of the same key).
 * The entry travels with {@link injectTraceContext} to every downstream call made in that context.
 *
 * @example
 * ```ts
 * const next = withBaggageEntry(context.active(), 'switchyard.track', 'canary');
 * await context.with(next, () => client.call(request));
 * ```
 */
export function withBaggageEntry(context: Context, key: string, value: string): Context {
  if (typeof key !== 'string' || key === '') {
    throw new InvalidArgumentError('baggage.key', `must be a non-empty string, got ${JSON.stringify(key)}`);
  }
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`baggage.${key}`, `must be a string, got ${typeof value}`);
  }
  const baggage = propagation.getBaggage(context) ?? propagation.createBaggage();
  return propagation.setBaggage(context, baggage.setEntry(key, { value }));
}
