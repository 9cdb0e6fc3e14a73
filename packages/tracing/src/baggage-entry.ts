import { type Context, context as api, propagation } from '@opentelemetry/api';
import { InvalidArgumentError } from '@switchyard/core';

/** A UTF-16 surrogate without its other half: no UTF-8 (and no percent-encoding) exists for it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** The longest `key=value` entry the W3C baggage propagator sends (OpenTelemetry's per-entry limit). */
const MAX_ENTRY_BYTES = 4_096;

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
  if (LONE_SURROGATE.test(key)) {
    throw new InvalidArgumentError('baggage.key', 'must be well-formed Unicode (it has a lone surrogate)');
  }
  // The propagator percent-encodes keys with encodeURIComponent, which leaves `(` and `)` as they
  // are: no token characters, so the header went out invalid and a strict receiver drops it whole.
  if (key.includes('(') || key.includes(')')) {
    throw new InvalidArgumentError(
      'baggage.key',
      `must not contain ( or ) (W3C baggage keys are tokens), got ${JSON.stringify(key)}`,
    );
  }
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`baggage.${key}`, `must be a string, got ${typeof value}`);
  }
  // What the W3C baggage propagator cannot send. A lone surrogate made its encodeURIComponent throw,
  // which the composite propagator swallowed: the whole baggage header, switchyard.track included,
  // was left off every call made in the context. A longer entry was left out on its own.
  // The W3C extractor drops an entry with an empty value: sent as `key=`, it never arrived.
  if (value === '') {
    throw new InvalidArgumentError(`baggage.${key}`, 'must be a non-empty string (W3C baggage drops empty values)');
  }
  if (LONE_SURROGATE.test(value)) {
    throw new InvalidArgumentError(`baggage.${key}`, 'must be well-formed Unicode (it has a lone surrogate)');
  }
  const encodedLength = encodeURIComponent(key).length + 1 + encodeURIComponent(value).length;
  if (encodedLength > MAX_ENTRY_BYTES) {
    throw new InvalidArgumentError(
      `baggage.${key}`,
      `must fit in ${MAX_ENTRY_BYTES} bytes as key=value once percent-encoded (W3C baggage), got ${encodedLength}`,
    );
  }
  const baggage = propagation.getBaggage(context) ?? propagation.createBaggage();
  return propagation.setBaggage(context, baggage.setEntry(key, { value }));
}
