/**
 * A custom balancer whose createPicker throws, or builds no picker, is a bug in the caller's code,
 * but discovery runs it from registry updates and timers: the throw went up through the registry's
 * listener (the update's view was half applied: instances() had the new instance, the pickers did
 * not), or out of a timer, where it was uncaught. Discovery now picks round-robin until the balancer
 * builds a picker again, and logs the failure.
 */
import type { BalancingStrategy, Endpoint, Logger, Picker } from '@switchyard/core';
import { silentLogger } from '@switchyard/core';
import { createDiscovery } from '@switchyard/discovery';
import { MemoryRegistry } from '@switchyard/registry';
import { expect, it } from 'vitest';

/** A balancer that builds pickers for up to `limit` endpoints and fails (as `failure` says) beyond. */
function brittleBalancer(limit: number, failure: 'throw' | 'no picker'): BalancingStrategy {
  return {
    name: 'brittle',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      if (endpoints.length > limit) {
        if (failure === 'throw') throw new Error('brittle balancer: too many endpoints');
        return undefined as unknown as Picker;
      }
      return { pick: () => endpoints[0] };
    },
    toString: () => 'brittle',
  };
}

function errorsLogger(): { errors: string[]; logger: Logger } {
  const errors: string[] = [];
  return {
    errors,
    logger: { ...silentLogger, error: (_fields: unknown, message?: string) => void errors.push(String(message)) },
  };
}

for (const failure of ['throw', 'no picker'] as const) {
  it(`keeps picking, round-robin, when a custom balancer's createPicker fails (${failure}), and logs it`, async () => {
    const registry = new MemoryRegistry();
    const { errors, logger } = errorsLogger();
    const discovery = createDiscovery({ registry, service: 'web', balancer: brittleBalancer(1, failure), logger });
    try {
      await registry.register({ id: 'a', service: 'web', host: '127.0.0.1', ports: { http: 1 } });
      await discovery.ready();
      expect(discovery.pick().instance.id).toBe('a');
      // The second instance's arrival makes the balancer fail.
      const b = await registry.register({ id: 'b', service: 'web', host: '127.0.0.1', ports: { http: 2 } });
      await expect.poll(() => discovery.instances().length).toBe(2);
      const picked = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const lease = discovery.pick();
        picked.add(lease.instance.id);
        lease.done({ ok: true, latencyMs: 1 });
      }
      expect([...picked].sort()).toEqual(['a', 'b']);
      expect(errors.some((message) => message.includes('createPicker'))).toBe(true);
      // Back under its limit, the balancer's own pickers serve again.
      await b.deregister();
      await expect.poll(() => discovery.instances().length).toBe(1);
      expect(discovery.pick().instance.id).toBe('a');
    } finally {
      await discovery.close();
      await registry.close();
    }
  });
}
