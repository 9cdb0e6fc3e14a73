import { assertInteger, assertKnownKeys, assertNumber, assertObject, withDefaults } from '@switchyard/core';

/**
 * Slow start: a new instance's share ramps up over a window instead of arriving all at once; so does
 * the share of an instance that turns from draining to up (one that registered draining to warm up).
 * With zone preference, a local zone whose instances are still ramping keeps only the share of calls
 * its warm capacity can take, and the other zones take the rest (see warmingZonePicker): ramping
 * within the zone alone, a zone of new instances took every call cold.
 */
export interface SlowStartOptions {
  /** Ramp length. */
  windowMs: number;
  /** Share factor at the start of the ramp (0..1]. @default 0.1 */
  minWeightFactor?: number;
}

/** Validated slow-start settings. */
export type SlowStartConfig = Required<SlowStartOptions>;

/** Validates slow-start options (field `slowStart…`). */
export function resolveSlowStart(options: SlowStartOptions | undefined): SlowStartConfig | undefined {
  if (options === undefined) return undefined;
  assertObject('slowStart', options);
  assertKnownKeys('slowStart', options as unknown as Record<string, unknown>, ['windowMs', 'minWeightFactor']);
  assertInteger('slowStart.windowMs', options.windowMs, 1, 86_400_000);
  const config = withDefaults({ minWeightFactor: 0.1 }, options);
  assertNumber('slowStart.minWeightFactor', config.minWeightFactor, 0.001, 1);
  return config;
}

/** The weight factor of an instance first seen at `since`, at time `now` (linear ramp). */
export function slowStartFactor(config: SlowStartConfig, since: number, now: number): number {
  const progress = (now - since) / config.windowMs;
  return progress >= 1 ? 1 : Math.max(config.minWeightFactor, progress);
}
