/**
 * startGateway() against a registry that misbehaves as the gateway starts (in one process, on
 * loopback, the memory registry).
 */
import { silentLogger } from '@switchyard/core';
import { MemoryRegistry } from '@switchyard/registry';
import { refuseFirstUp } from '@switchyard/registry/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

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
    // Ready once markReady() has had the registry's answer (health turns SERVING after it).
    await expect.poll(() => gateway.ready).toBe(true);
    expect((await registry.list('gateway')).map((instance) => instance.status)).toEqual(['up']);
    expect((await fetch(`http://127.0.0.1:${gateway.httpPort}/readyz`)).status).toBe(200);
  });
});
