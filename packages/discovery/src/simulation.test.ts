import { p2cEwma, roundRobin } from '@switchyard/discovery';
import { simulateBalancing } from '@switchyard/discovery/testing';
import { describe, expect, it } from 'vitest';
import type { BalancingStrategy, Endpoint } from '@switchyard/core';

describe('balancing quality with one backend ten times slower', () => {
  const fast = { latencyMs: 10 };
  const slow = { latencyMs: 100 };
  const mixed = [fast, fast, fast, fast, slow];
  // 16 closed-loop clients over 5 backends serving 4 at once each: below saturation, so a good
  // balancer can avoid the slow backend almost entirely. (At 32 clients the fast backends saturate
  // and even the oracle must use the slow one; `pnpm bench:discovery` reports that case too.)
  const options = { concurrency: 16, requests: 20_000 };

  it('p2c-ewma sends the slow backend a small share and keeps p99 near the all-fast p99; round-robin does not', () => {
    const allFast = simulateBalancing({ ...options, backends: [fast, fast, fast, fast, fast], balancer: p2cEwma() });
    const p2c = simulateBalancing({ ...options, backends: mixed, balancer: p2cEwma() });
    const rr = simulateBalancing({ ...options, backends: mixed, balancer: roundRobin() });
    const oracle = simulateBalancing({ ...options, backends: mixed, balancer: 'oracle' });
    console.log(
      `slow share: p2c ${(p2c.share[4] as number).toFixed(3)}, rr ${(rr.share[4] as number).toFixed(3)}, oracle ${(oracle.share[4] as number).toFixed(3)}; ` +
        `p99: all-fast ${allFast.p99Ms.toFixed(1)}, p2c ${p2c.p99Ms.toFixed(1)}, rr ${rr.p99Ms.toFixed(1)}, oracle ${oracle.p99Ms.toFixed(1)} ms`,
    );
    expect(p2c.share[4]).toBeLessThan(0.03);
    expect(p2c.p99Ms).toBeLessThan(allFast.p99Ms * 1.5);
    expect(rr.share[4]).toBeGreaterThan(0.15);
    expect(rr.p99Ms).toBeGreaterThan(allFast.p99Ms * 3);
  });
});

describe('simulateBalancing options', () => {
  const backends = [{ latencyMs: 10 }, { latencyMs: 20 }];
  it.each([
    ['no backends', { backends: [] }, 'backends'],
    ['a negative latency', { backends: [{ latencyMs: -5 }] }, 'backends[0].latencyMs'],
    ['a parallelism of 0', { backends: [{ latencyMs: 5, parallelism: 0 }] }, 'backends[0].parallelism'],
    ['no clients', { backends, concurrency: 0 }, 'concurrency'],
    ['a fractional request count', { backends, requests: 10.5 }, 'requests'],
    ['no balancer', { backends, balancer: undefined }, 'balancer'],
    ['an unknown option', { backends, clients: 8 }, 'options.clients'],
    // These ran forever: the loop sends until `sent >= requests`, never true for NaN or Infinity.
    ['NaN requests (Number of an unset variable)', { backends, requests: Number.NaN }, 'requests'],
    ['Infinity requests', { backends, requests: Number.POSITIVE_INFINITY }, 'requests'],
  ])('refuses %s with INVALID_ARGUMENT naming the option', (_, options, field) => {
    // Before: a TypeError (no backends), NaN percentiles and shares (no clients, parallelism 0:
    // requests queued for good and counted as served), or a loop that never ended.
    expect(() => simulateBalancing({ balancer: roundRobin(), ...options } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    );
  });

  it('says so when the balancer picks an endpoint it was not given', () => {
    const stray: BalancingStrategy = {
      name: 'stray',
      createPicker: (endpoints) => ({ pick: () => ({ ...(endpoints[0] as Endpoint) }) }),
    };
    expect(() => simulateBalancing({ backends, balancer: stray, requests: 10 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'balancer' }),
    );
  });
});
