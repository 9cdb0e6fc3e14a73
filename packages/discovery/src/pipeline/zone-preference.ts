import {
  assertInteger,
  assertKnownKeys,
  assertNumber,
  assertObject,
  assertString,
  type Endpoint,
  fnv1a,
  INSTANCE_LIMITS,
  type PickArgs,
  type Picker,
  withDefaults,
} from '@switchyard/core';
import { fastRandom, toBound } from '../balancers/fast-random.js';

/** Zone awareness: prefer the caller's zone while it has enough healthy capacity. */
export interface ZoneOptions {
  /** The caller's zone. */
  name: string;
  /** Healthy fraction of the local zone's instances in rotation (draining ones leave it) needed to stay local. @default 0.7 */
  minHealthyFraction?: number;
  /** Healthy local instances needed to stay local. @default 1 */
  minInstances?: number;
}

/** Validated zone settings. */
export type ZoneConfig = Required<ZoneOptions>;

/** Accepts a zone name or {@link ZoneOptions}; validates (field `zone…`). */
export function resolveZone(zone: string | ZoneOptions | undefined): ZoneConfig | undefined {
  if (zone === undefined) return undefined;
  const options = typeof zone === 'string' ? { name: zone } : zone;
  assertObject('zone', options);
  assertKnownKeys('zone', options as unknown as Record<string, unknown>, [
    'name',
    'minHealthyFraction',
    'minInstances',
  ]);
  assertString('zone.name', options.name, INSTANCE_LIMITS.zonePattern, INSTANCE_LIMITS.zoneRule);
  const config = withDefaults({ minHealthyFraction: 0.7, minInstances: 1 }, options);
  assertNumber('zone.minHealthyFraction', config.minHealthyFraction, 0, 1);
  assertInteger('zone.minInstances', config.minInstances, 1, 1_000_000);
  return config;
}

/**
 * Chooses between the local zone and all zones: local while the local zone's healthy instances are
 * at least `minInstances` and `minHealthyFraction` of its instances; otherwise spill over to every
 * candidate. `isHealthy` tells which candidates count as healthy (default: all of them); in panic
 * mode the candidates include ejected instances, which must not keep traffic in the zone.
 */
export function preferZone<T extends { instance: { zone?: string | undefined } }>(
  zone: ZoneConfig,
  candidates: readonly T[],
  localTotal: number,
  isHealthy?: (candidate: T) => boolean,
): readonly T[] {
  const local = candidates.filter((endpoint) => endpoint.instance.zone === zone.name);
  const healthyLocal = isHealthy ? local.filter(isHealthy).length : local.length;
  const enough = healthyLocal >= zone.minInstances && healthyLocal >= zone.minHealthyFraction * localTotal;
  return enough ? local : candidates;
}

/** Draws per mille, so that a key's draw is a whole number compared with the warmth. */
const DRAW_SCALE = 1_000;
/** Seeds a key's draw apart from the version split's (traffic-groups.ts), so the two do not move together. */
const ZONE_KEY_SEED = 0x9e3779b1;

/**
 * A picker for a chosen local zone still warming up: it keeps `localWarmth` of the calls (its healthy
 * instances' ramped weight over their full weight) and sends the rest to the other zones, each side
 * by its own balancer; a side with nothing to pick falls back to the other.
 *
 * Why: slow start shares traffic by weight within the chosen instances, so once zone preference had
 * narrowed them to the local zone, a zone whose instances were all new (its first instance, a zone
 * restarted at once) took every call of this caller cold, at full share; and one new instance beside
 * warm ones left them its missing share on top of theirs. Weights alone could not blend the zones:
 * a balancer of two random choices (p2c-ewma) sends a call to the other zones whenever both choices
 * fall there, whatever their weight. A call with a `key` draws from it, so a key stays on its side
 * (and only moves to the zone as it warms).
 */
export function warmingZonePicker(localWarmth: number, local: Picker, others: Picker): Picker {
  const random = fastRandom();
  const threshold = localWarmth * DRAW_SCALE;
  return {
    pick(args: PickArgs): Endpoint | undefined {
      // A string key only, as the traffic split draws: pick() takes a null key as none.
      const draw =
        typeof args.key === 'string' ? toBound(fnv1a(args.key, ZONE_KEY_SEED), DRAW_SCALE) : random(DRAW_SCALE);
      return draw < threshold ? (local.pick(args) ?? others.pick(args)) : (others.pick(args) ?? local.pick(args));
    },
  };
}
