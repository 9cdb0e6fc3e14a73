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
  /** Warm healthy local instances needed to stay local (a slow-starting one counts as the share it has ramped to). @default 1 */
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
 * at least `minHealthyFraction` of its instances and its warm capacity at least `minInstances`;
 * otherwise spill over to every candidate. `capacityOf` tells what each candidate is worth: 0 when
 * not healthy (in panic mode the candidates include ejected instances, which must not keep traffic
 * in the zone), its slow-start factor while it ramps, else 1 (the default for all).
 *
 * Why warm capacity: slow start shares traffic out by weight within the chosen candidates, so a
 * zone whose instances are all new (its first instance, or a zone restarted at once) took every
 * call of this caller cold, at full share, the moment it registered. Counted by what it has ramped
 * to, such a zone waits until it is worth `minInstances` warm instances, its ramping instances
 * taking their reduced share among every zone's meanwhile. The healthy fraction still counts
 * instances, so a two-instance zone in a rolling restart stays local while the new one ramps
 * beside the old.
 */
export function preferZone<T extends { instance: { zone?: string | undefined } }>(
  zone: ZoneConfig,
  candidates: readonly T[],
  localTotal: number,
  capacityOf?: (candidate: T) => number,
): readonly T[] {
  const local = candidates.filter((endpoint) => endpoint.instance.zone === zone.name);
  let healthyLocal = local.length;
  let warmCapacity = local.length;
  if (capacityOf) {
    healthyLocal = 0;
    warmCapacity = 0;
    for (const endpoint of local) {
      const capacity = capacityOf(endpoint);
      if (capacity > 0) healthyLocal++;
      warmCapacity += capacity;
    }
  }
  const enough = warmCapacity >= zone.minInstances && healthyLocal >= zone.minHealthyFraction * localTotal;
  return enough ? local : candidates;
}
