/**
 * What the registry skips in the data it reads must not vanish without a word in an operator's
 * tool: a leased instance whose entry is corrupt is named in a warning by `ls`, and a service that
 * cannot be read does not stop `deregister` from finding an instance of another one.
 */
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { makeServiceUnreadable } from '../src/test-support/unreadable-service.js';

let redis: RedisServerHandle;
let registry: Registry;

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  await registry.register({ id: 'gamma-1', service: 'gamma', host: '127.0.0.1', ports: { grpc: 1 } });
  await registry.register({ id: 'gamma-2', service: 'gamma', host: '127.0.0.1', ports: { grpc: 2 } });
  await registry.register({ id: 'alpha-1', service: 'alpha', host: '127.0.0.1', ports: { grpc: 3 } });
  await registry.register({ id: 'beta-1', service: 'beta', host: '127.0.0.1', ports: { grpc: 4 } });
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  // gamma-2 keeps its lease (heartbeats are a bare PEXPIRE), but its entry is no instance any more.
  await raw.hset('switchyard:{gamma}:instances', 'gamma-2', '{"id":"gamma-2","service":"gamma","ports":"x"}');
  raw.disconnect();
  await makeServiceUnreadable(redis.url, 'beta');
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await redis?.stop();
});

const run = (argv: string[]) => runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url });

describe('registry data the CLI cannot show', { timeout: 60_000 }, () => {
  it('ls <service> names a leased instance whose entry is corrupt in a warning, and still lists the others', async () => {
    const [table, json] = [await run(['ls', 'gamma']), await run(['ls', 'gamma', '--json'])];
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^gamma-1 /m);
    expect(table.stdout).not.toContain('gamma-2');
    expect(table.stderr).toMatch(
      /^switchyard ls: warning: skipped a corrupt entry \(not a valid instance\): gamma\/gamma-2: .+$/m,
    );
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { instances: { id: string }[] }).instances.map(({ id }) => id)).toEqual([
      'gamma-1',
    ]);
    expect(json.stderr).toMatch(/warning: skipped a corrupt entry .*gamma\/gamma-2/);
  });

  it('deregister without --service finds an instance although another service cannot be read', async () => {
    const evicted = await run(['deregister', 'alpha-1', '--yes', '--json']);
    expect(evicted.code, evicted.stderr).toBe(0);
    expect(JSON.parse(evicted.stdout)).toEqual({ service: 'alpha', id: 'alpha-1', deregistered: true });
    expect(evicted.stderr).toMatch(/^switchyard deregister: warning: cannot read service beta, searched the others: /m);
    expect(await registry.list('alpha')).toEqual([]);

    const missing = await run(['deregister', 'nosuch-1', '--yes']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^switchyard deregister: no live instance "nosuch-1" in any service \(\d+ searched; not searched, unreadable: beta\)$/,
    );
  });
});
