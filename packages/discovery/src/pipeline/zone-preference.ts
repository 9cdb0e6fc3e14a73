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
