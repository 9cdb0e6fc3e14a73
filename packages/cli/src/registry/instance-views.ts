import type { ServiceInstance } from '@switchyard/core';
import type { LeaseInfos, LeaseInspector } from './lease-inspector.js';

/** An instance with what the lease keys tell about it (undefined where unknown). */
export interface InstanceView extends ServiceInstance {
  /** Since registration, on the Redis clock. */
  readonly ageMs: number | undefined;
  /** Until the lease expires without a heartbeat. */
  readonly expiresInMs: number | undefined;
  /** Since the last heartbeat (or registration), on the Redis clock. */
  readonly lastHeartbeatAgoMs: number | undefined;
}

/**
 * Adds age, lease expiry and last heartbeat to instances. Reading them is best effort: if the inspector is missing
 * or fails, the values are undefined (printed `-`) and the command still succeeds.
 */
export async function withLeases(
  inspector: LeaseInspector | undefined,
  service: string,
  instances: readonly ServiceInstance[],
): Promise<InstanceView[]> {
  let leases: LeaseInfos = new Map();
  if (inspector && instances.length > 0) {
    try {
      leases = await inspector.leases(
        service,
        instances.map((instance) => instance.id),
      );
    } catch {
      // best effort: leave age and expiry unknown
    }
  }
  return instances.map((instance) => ({
    ...instance,
    ageMs: leases.get(instance.id)?.ageMs,
    expiresInMs: leases.get(instance.id)?.expiresInMs,
    lastHeartbeatAgoMs: leases.get(instance.id)?.lastHeartbeatAgoMs,
  }));
}
