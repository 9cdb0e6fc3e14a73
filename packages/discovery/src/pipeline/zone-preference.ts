import {
  assertInteger,
  assertKnownKeys,
  assertNumber,
  assertObject,
  assertString,
  INSTANCE_LIMITS,
  withDefaults,
} from '@switchyard/core';

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

/**
 * How much the other zones' weights are multiplied by while a chosen local zone warms up, so that
 * the zone keeps the share of calls it has warm capacity for (0 when it is all warm: local only).
 *
 * Why: slow start shares traffic by weight within the chosen instances, so once zone preference
 * had narrowed them to the local zone, a zone whose instances were all new (its first instance, a
 * zone restarted at once) took every call of this caller cold, at full share; and one new instance
 * beside warm ones left them its missing share on top of theirs. The zone's warmth is its healthy
 * instances' weight ramped, over their weight: at 0.1 (all new, minWeightFactor 0.1) the zone keeps
 * a tenth of the calls and the other zones take the rest by their own weights; warmth 1 keeps all.
 *
 * @param localWarmth the local healthy instances' ramped weight over their full weight, in (0, 1]
 * @param localWeight the chosen local instances' summed (ramped) weight
 * @param otherWeight the other zones' instances' summed weight
 */
export function otherZonesScale(localWarmth: number, localWeight: number, otherWeight: number): number {
  if (localWarmth >= 1 || otherWeight <= 0) return 0;
  // local / (local + scale × other) = warmth
  return (localWeight * (1 - localWarmth)) / (localWarmth * otherWeight);
}
