/**
 * A service whose last instance left while it holds a route rule is not dead: the rule applies to
 * the next instances that come. `ls` keeps listing it, says why, and shows the rule; once the rule
 * is cleared the registry forgets the name and `ls` does too.
 */
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';

let redis: RedisServerHandle;
let registry: Registry;

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  await registry.register({
    id: 'orders-1',
    service: 'orders',
    version: '2.0.0',
    host: '127.0.0.1',
    ports: { grpc: 1 },
  });
  const checkout = await registry.register({
    id: 'checkout-1',
    service: 'checkout',
    version: '1.4.0',
    host: '127.0.0.1',
    ports: { grpc: 2 },
  });
  await registry.setRoute('checkout', { splits: { '1.4.0': 100 } });
  await checkout.deregister();
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await redis?.stop();
});

const run = (argv: string[]) => runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url });

describe('switchyard ls: a service with no live instance that holds a route rule', () => {
  it('is listed with 0 instances and its rule, and leaves the listing once the rule is cleared', async () => {
    const [table, json, one, oneJson] = await Promise.all([
      run(['ls']),
      run(['ls', '--json']),
      run(['ls', 'checkout']),
      run(['ls', 'checkout', '--json']),
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^checkout\s+0\s+0\s+0\s+-$/m);
    expect(table.stdout).toMatch(/^orders\s+1\s+1\s+0\s+2\.0\.0$/m);
    expect(table.stdout).toContain(
      'checkout: no live instance; its route rule (1.4.0=100%) applies again when one comes back ' +
        '(switchyard route clear checkout removes it)\n',
    );
    expect(JSON.parse(json.stdout).services).toEqual([
      { service: 'checkout', instances: 0, up: 0, draining: 0, versions: [], route: { splits: { '1.4.0': 100 } } },
      { service: 'orders', instances: 1, up: 1, draining: 0, versions: ['2.0.0'] },
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe('no live instance of checkout\nroute: 1.4.0=100%\n');
    expect(JSON.parse(oneJson.stdout)).toEqual({
      service: 'checkout',
      route: { splits: { '1.4.0': 100 } },
      instances: [],
    });

    expect((await run(['route', 'clear', 'checkout'])).code).toBe(0);
    const [after, unknown] = await Promise.all([run(['ls']), run(['ls', 'checkout'])]);
    expect(after.stdout).not.toContain('checkout');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown service "checkout": no live instance; live services: orders/);
  });
});
