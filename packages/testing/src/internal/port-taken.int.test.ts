/** A server's free port taken by someone else before it binds it: reported as PORT_TAKEN, never mistaken for ours. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisServerHandle, startRedis } from '../index.js';
import { BinaryRedisNode } from './binary-node.js';
import { waitForPing } from './readiness.js';

let neighbour: RedisServerHandle;
let port: number;
beforeAll(async () => {
  neighbour = await startRedis({ via: 'binary' });
  port = Number(new URL(neighbour.url).port);
}, 30_000);
afterAll(() => neighbour?.stop());

it("does not take another redis-server's PONG on its port for its own server's", async () => {
  const started = Date.now();
  await expect(
    waitForPing({ port, pid: process.pid, timeoutMs: 5_000, what: 'our redis-server to answer PING' }),
  ).rejects.toMatchObject({ code: 'PORT_TAKEN', message: expect.stringMatching(/another redis-server \(pid \d+\)/) });
  expect(Date.now() - started).toBeLessThan(2_000); // at once, not after the wait runs out
});

it('reports a redis-server that could not bind its port as PORT_TAKEN, so the caller can try another', async () => {
  const node = new BinaryRedisNode({
    label: 'redis',
    kind: 'server',
    port,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    startupTimeoutMs: 5_000,
  });
  await expect(node.start()).rejects.toMatchObject({ code: 'PORT_TAKEN' });
  // The neighbour was not disturbed.
  expect(await waitForPing({ port, timeoutMs: 2_000, what: 'the neighbour to answer PING' })).toBe(true);
});
