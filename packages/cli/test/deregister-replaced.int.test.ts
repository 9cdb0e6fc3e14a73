/**
 * `switchyard deregister` against a real Redis, run in-process so that the test can act while the
 * prompt waits: the registration the operator was shown is the one evicted, and no later one.
 */
import { PassThrough } from 'node:stream';
import { type CliIo, runCli } from '@switchyard/cli';
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redis: RedisServerHandle;
const registries: Registry[] = [];

function newRegistry(): Registry {
  const registry = createRegistry(redis.url);
  registries.push(registry);
  return registry;
}

const entry = { id: 'stable-0', service: 'stateful', host: '127.0.0.1', ports: { grpc: 1 } };

beforeAll(async () => {
  redis = await startRedis();
}, 120_000);

afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  await redis?.stop();
});

describe('switchyard deregister', { timeout: 60_000 }, () => {
  it('leaves alone a registration that took the id while the prompt waited', async () => {
    await newRegistry().register(entry, { ttlMs: 60_000 });
    let stderr = '';
    const err = new PassThrough().setEncoding('utf8');
    const prompted = new Promise<void>((resolve) =>
      err.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('[y/N]')) resolve();
      }),
    );
    const stdin = new PassThrough();
    const io: CliIo = { stdout: new PassThrough(), stderr: err, stdin, env: { SWITCHYARD_REGISTRY_URL: redis.url } };
    const exited = runCli(['deregister', 'stable-0'], { io });
    await prompted;
    // The pod restarts under the same name while the operator reads the prompt.
    const newcomer = await newRegistry().register(entry, { ttlMs: 60_000 });
    stdin.end('y\n');
    expect(await exited, stderr).toBe(1);
    expect(stderr).toMatch(/stateful\/stable-0 was registered again since it was shown; nothing changed/);
    expect(newcomer.state).toBe('active');
    expect((await newRegistry().list('stateful')).map((instance) => instance.id)).toEqual(['stable-0']);

    // Asked again, it evicts the registration it now shows.
    const again = await runCli(['deregister', 'stable-0', '--yes'], {
      io: { ...io, stderr: new PassThrough(), stdin: new PassThrough() },
    });
    expect(again).toBe(0);
    expect(await newRegistry().list('stateful')).toEqual([]);
  });
});
