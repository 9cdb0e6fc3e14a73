/**
 * Redis going away in the middle of a command, after the service list was read and before the
 * services themselves were: that is an unreachable registry (exit 1, "cannot reach the registry at
 * …", as the README's failure lines say), not a registry full of unreadable services, each named in a
 * warning, and a failure line that blames the data.
 *
 * A small proxy in front of Redis cuts every connection, for good, the moment the CLI sends the
 * registry's list script (a new connection sends a script's text the first time it uses it, and the
 * script's text is distinctive), so the drop lands exactly between `services()` and `list()`.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';

/** A comment of the registry's LIST script (only it has it), as sent on the wire with the script. */
const LIST_SCRIPT_MARK = "-- The route: its JSON, '' once cleared";

/**
 * The one failure line of an unreachable registry: the connection error when one was seen, else the
 * registry's own words, which say the connection closed (they named an ioredis option, before).
 */
const UNREACHABLE = (command: string) =>
  new RegExp(
    `^switchyard ${command}: (cannot reach the registry at redis://127\\.0\\.0\\.1:\\d+: .+|registry unavailable: redis://127\\.0\\.0\\.1:\\d+: list failed: the connection closed before Redis answered)\n$`,
  );

let redis: RedisServerHandle;
let registry: Registry;

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  await registry.register({ id: 'alpha-1', service: 'alpha', host: '127.0.0.1', ports: { grpc: 1 } });
  await registry.register({ id: 'beta-1', service: 'beta', host: '127.0.0.1', ports: { grpc: 2 } });
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await redis?.stop();
});

const proxies: Server[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/**
 * A proxy to Redis that drops every connection (and refuses new ones) once `mark` is sent through it
 * (never, without one). `port`: listen there (one found free beforehand) rather than on any.
 */
async function cutOnFirst(mark?: string, port = 0): Promise<{ url: string; cut: () => boolean }> {
  let cut = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(redis.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let seen = '';
    client.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('latin1')).slice(-((mark?.length ?? 0) + 64 * 1024));
      if (!cut && mark !== undefined && seen.includes(mark)) {
        cut = true;
        for (const socket of sockets) socket.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(socket);
      });
    }
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  return { url: `redis://127.0.0.1:${bound}`, cut: () => cut };
}

describe('Redis dropping between the service list and the services', { timeout: 60_000 }, () => {
  it('ls fails as an unreachable registry, without a warning per service', async () => {
    const proxy = await cutOnFirst(LIST_SCRIPT_MARK);
    const result = await runCliInProcess(['ls'], { SWITCHYARD_REGISTRY_URL: proxy.url });
    expect(proxy.cut(), 'the proxy saw the list script').toBe(true);
    // Before: "switchyard ls: warning: cannot read service alpha, left out: … not connected …" per
    // service, then "switchyard ls: no listed service could be read (2; see the warnings above)".
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/warning/);
    expect(result.stderr).toMatch(UNREACHABLE('ls'));
  });

  it('deregister (searching every service) fails the same way', async () => {
    const proxy = await cutOnFirst(LIST_SCRIPT_MARK);
    const result = await runCliInProcess(['deregister', 'alpha-1', '--yes'], { SWITCHYARD_REGISTRY_URL: proxy.url });
    expect(proxy.cut(), 'the proxy saw the list script').toBe(true);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/warning/);
    expect(result.stderr).toMatch(UNREACHABLE('deregister'));
  });
});

/** A port nothing listens on (yet): found free by listening on it for a moment. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('a refusal by Redis after a connection attempt had failed', { timeout: 60_000 }, () => {
  it('a database the server does not have is said as the registry says it, not as the SELECT reply', async () => {
    const result = await runCliInProcess(['ls'], { SWITCHYARD_REGISTRY_URL: `redis://127.0.0.1:${redis.port}/99` });
    // Before: "switchyard ls: cannot reach the registry at redis://…/99: ERR DB index is out of range":
    // Redis was reached, and the registry's words (which the registry's README documents) were lost.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^switchyard ls: registry unavailable: redis:\/\/127\.0\.0\.1:\d+\/99: services: database 99 does not exist \(the server has \d+: 0-\d+\); the registry does not fall back to another database\n$/,
    );
  });

  it('is reported as Redis said it, not as the earlier connection error', async () => {
    await registry.register({
      id: 'orders-1',
      service: 'orders',
      version: '1.0.0',
      host: '127.0.0.1',
      ports: { grpc: 3 },
    });
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    const [, policy] = (await admin.config('GET', 'maxmemory-policy')) as [string, string];
    try {
      // Redis refuses writes that may grow memory (OOM), while reads go on.
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      // Nothing listens at first: the CLI's first connection attempt is refused (ECONNREFUSED), and its
      // next one, once the proxy listens, gets through. The command then reaches Redis, which refuses it.
      const port = await freePort();
      const late = setTimeout(() => void cutOnFirst(undefined, port), 300);
      try {
        const result = await runCliInProcess(['route', 'set', 'orders', '1.0.0=100'], {
          SWITCHYARD_REGISTRY_URL: `redis://127.0.0.1:${port}`,
        });
        // Before: "switchyard route: cannot reach the registry at redis://127.0.0.1:<port>: connect
        // ECONNREFUSED …": the last connection error, from before the connection that Redis answered on.
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^switchyard route: registry unavailable: .*OOM command not allowed/);
        expect(result.stderr).not.toMatch(/ECONNREFUSED|cannot reach/);
      } finally {
        clearTimeout(late);
      }
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await admin.config('SET', 'maxmemory-policy', policy);
      admin.disconnect();
    }
  });
});
