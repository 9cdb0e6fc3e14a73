import { setTimeout as sleep } from 'node:timers/promises';
import { validateInstance } from '@switchyard/core';
import { catalogInstance } from '@switchyard/registry/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpPools } from './http-pools.js';

// No connection is made: an undici Pool connects on its first request, and these tests make none.
const instance = (id: string, port = 8080) =>
  validateInstance(catalogInstance(id, { service: 'echo', ports: { http: port } }));

const opened: HttpPools[] = [];
function pools(closeAfterMs: number): HttpPools {
  const made = new HttpPools('http', 'http', undefined, closeAfterMs, 1_000);
  opened.push(made);
  return made;
}

describe('HttpPools across a test suite changing clocks', () => {
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(opened.splice(0).map((made) => made.closeAll()));
  });

  it('closes the pool of an instance that left under a fake clock uninstalled before the grace period ended', async () => {
    // A test suite's fake clock (vi.useFakeTimers) drops its pending timers when uninstalled: the
    // next view without the instance must start the grace period again, not take it as running.
    const http = pools(20);
    const pool = http.poolFor(instance('a'));
    vi.useFakeTimers();
    http.retain(new Set());
    vi.useRealTimers();
    http.retain(new Set());
    await sleep(80);
    expect(http.size).toBe(0);
    expect(pool?.closed).toBe(true);
  });

  it('closes a pool retired (its instance re-registered elsewhere) under a fake clock since uninstalled', async () => {
    const http = pools(20);
    const old = http.poolFor(instance('a', 8080));
    vi.useFakeTimers();
    http.poolFor(instance('a', 8081)); // retires the old pool, its close on this clock
    vi.useRealTimers();
    http.retain(new Set(['a']));
    await sleep(80);
    expect(old?.closed).toBe(true);
    expect(http.size).toBe(1);
  });
});
