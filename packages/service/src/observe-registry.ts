import { RedisRegistry, type Registry } from '@switchyard/registry';
import { switchyardInstruments } from '@switchyard/tracing';

/** Each observed registry's one subscription, and how many services hold it. */
const observed = new WeakMap<Registry, { dispose(): void; holders: number }>();

/**
 * Counts the registry's operations and times its heartbeats (Redis registries report them) into
 * the process's metrics; returns what stops it. Once per registry, however many services share it:
 * each service subscribing for itself counted every operation once per service (two services on
 * one registry reported each heartbeat twice). The subscription ends when the last service lets go;
 * a registry shared between services outlives each of them.
 */
export function observeRegistry(registry: Registry): (() => void) | undefined {
  if (!(registry instanceof RedisRegistry)) return undefined;
  let entry = observed.get(registry);
  if (entry === undefined) {
    const subscription = registry.onOperation(({ operation, ok, durationMs }) => {
      const instruments = switchyardInstruments();
      instruments.registryOperations.add(1, { operation, outcome: ok ? 'ok' : 'error' });
      if (operation === 'heartbeat') instruments.heartbeatDuration.record(durationMs);
    });
    entry = { dispose: () => subscription.dispose(), holders: 0 };
    observed.set(registry, entry);
  }
  entry.holders++;
  const held = entry;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.holders > 0) return;
    observed.delete(registry);
    held.dispose();
  };
}
