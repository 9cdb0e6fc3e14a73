/**
 * startGateway() against a registry that misbehaves as the gateway starts (in one process, on
 * loopback, the memory registry).
 */
import { RegistryUnavailableError, silentLogger } from '@switchyard/core';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The registry refuses `service`'s first `status: up` (Redis restarting as the service starts);
 * the promise resolves once a later one has been accepted.
 */
function refuseFirstUp(registry: MemoryRegistry, service: string): Promise<void> {
  let refusals = 1;
  let accepted!: () => void;
  const upAccepted = new Promise<void>((resolve) => {
    accepted = resolve;
  });
  const register = registry.register.bind(registry);
  registry.register = async (input, options) => {
    const registration = await register(input, options);
    if (input.service !== service) return registration;
    const update = registration.update.bind(registration);
    Object.assign(registration, {
      update: async (patch: Parameters<typeof update>[0]) => {
        if (patch.status === 'up' && refusals-- > 0) throw new RegistryUnavailableError('registry unavailable (test)');
        await update(patch);
        if (patch.status === 'up') accepted();
      },
    });
    return registration;
  };
  return upAccepted;
}

describe('startGateway', () => {
  it('comes up once the registry takes it when marking it ready failed at start (a registry blip), instead of failing the start with its server left listening', async () => {
    const registry = new MemoryRegistry();
    const upAccepted = refuseFirstUp(registry, 'gateway');
    const gateway = await startGateway({
      registry,
      tracing: false,
      handleSignals: false,
      drainDelayMs: 0,
      logger: silentLogger,
      http: { port: 0, host: '127.0.0.1' },
    });
    cleanups.push(async () => {
      await gateway.stop();
      await registry.close();
    });
    await upAccepted;
    expect(gateway.ready).toBe(true);
    expect((await registry.list('gateway')).map((instance) => instance.status)).toEqual(['up']);
    expect((await fetch(`http://127.0.0.1:${gateway.httpPort}/readyz`)).status).toBe(200);
  });
});
