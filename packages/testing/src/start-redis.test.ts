import { afterEach, describe, expect, it } from 'vitest';
import { redisCommand } from './internal/redis-command.js';
import { freePorts } from './internal/free-ports.js';
import {
  dockerAvailable,
  SwitchyardTestingError,
  startRedis,
  startRedisCluster,
  type StartRedisOptions,
  startRedisSentinel,
  type TestingErrorCode,
} from '@switchyard/testing';

async function codeOf(promise: Promise<unknown>): Promise<TestingErrorCode | 'resolved' | 'other'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return SwitchyardTestingError.isInstance(error) ? error.code : 'other';
  }
}

describe('option validation (no Redis started)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env.SWITCHYARD_TESTING_VIA = saved.SWITCHYARD_TESTING_VIA;
    process.env.REDIS_URL = saved.REDIS_URL;
    if (saved.SWITCHYARD_TESTING_VIA === undefined) delete process.env.SWITCHYARD_TESTING_VIA;
    if (saved.REDIS_URL === undefined) delete process.env.REDIS_URL;
  });

  it('rejects bad numbers, names and via values with INVALID_ARGUMENT', async () => {
    expect(await codeOf(startRedis({ startupTimeoutMs: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(startRedis({ password: '' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(startRedis({ via: 'env', args: ['--maxmemory', '1mb'] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(startRedis({ via: 'somewhere' as never }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(startRedisSentinel({ masterName: 'has space' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(startRedisSentinel({ sentinels: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(startRedisCluster({ masters: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(startRedisCluster({ replicasPerMaster: 1.5 }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses an unknown option, naming it (startRedis({ port: 6379 }) started Redis on a random port)', async () => {
    await expect(startRedis({ port: 6379 } as never)).rejects.toThrow(
      /startRedis: unknown option "port"; known options: args, password, via, startupTimeoutMs \(every server takes a free 127\.0\.0\.1 port/,
    );
    await expect(startRedis({ vai: 'binary' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(startRedis('binary' as never)).rejects.toThrow(/startRedis: options must be an object/);
    await expect(startRedisSentinel({ master: 'mymaster' } as never)).rejects.toThrow(
      /startRedisSentinel: unknown option "master"/,
    );
    await expect(startRedisCluster({ replicas: 1 } as never)).rejects.toThrow(
      /startRedisCluster: unknown option "replicas"/,
    );
  });

  it('keeps the default of an option given as undefined', async () => {
    delete process.env.REDIS_URL;
    // Past validation to the missing REDIS_URL (NOT_AVAILABLE), instead of INVALID_ARGUMENT for `args`.
    expect(await codeOf(startRedis({ via: 'env', args: undefined, startupTimeoutMs: undefined }))).toBe(
      'NOT_AVAILABLE',
    );
    expect(await codeOf(dockerAvailable({ timeoutMs: -1 }))).toBe('INVALID_ARGUMENT');
  });

  it('names SWITCHYARD_TESTING_VIA when its value is unknown', async () => {
    process.env.SWITCHYARD_TESTING_VIA = 'docker';
    await expect(startRedis()).rejects.toThrow(/SWITCHYARD_TESTING_VIA must be one of auto, env, container, binary/);
  });

  it('asks for REDIS_URL when via env is forced without it', async () => {
    delete process.env.REDIS_URL;
    expect(await codeOf(startRedis({ via: 'env' }))).toBe('NOT_AVAILABLE');
  });

  it('reports an unreachable REDIS_URL as NOT_AVAILABLE', async () => {
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    await expect(startRedis({ via: 'env', startupTimeoutMs: 1_000 })).rejects.toThrow(
      /REDIS_URL .* does not answer PING/,
    );
  });

  it('refuses a NUL byte in args or password, naming the option, before starting anything', async () => {
    // Node's spawn threw its own TypeError (ERR_INVALID_ARG_VALUE) naming "args[9]" of the internal
    // redis-server command line, for a NUL in the password too: neither option was named.
    const cases: [StartRedisOptions, RegExp][] = [
      [{ args: ['--maxmemory', '1mb\0'] }, /args\[1\] must not contain a NUL byte/],
      [{ password: 'p\0w' }, /password must not contain a NUL byte/],
    ];
    for (const [options, named] of cases) {
      const error = await startRedis({ via: 'binary', ...options, startupTimeoutMs: 2_000 }).then(
        (handle) => handle.stop().then(() => 'resolved'),
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(named) });
    }
  });

  it('refuses args that would take the server out of its hands, before starting anything', async () => {
    // `--daemonize yes` used to fork a server nobody tracked: START_FAILED (the child exited with 0), and
    // the daemon kept running on its port after the test process was gone. `--port` moved the server off
    // the port the handle names, and `--requirepass` made the readiness PING fail (NOAUTH): a 10 s timeout.
    const [elsewhere] = (await freePorts(1)) as [number];
    for (const args of [
      ['--daemonize', 'yes'],
      ['--DAEMONIZE', 'yes'],
      ['--daemonize yes'],
      ['--port', String(elsewhere)],
      ['--requirepass', 'pw'],
    ]) {
      const error = await startRedis({ via: 'binary', args, startupTimeoutMs: 2_000 }).then(
        (handle) => handle.stop().then(() => 'resolved'),
        (caught: unknown) => caught,
      );
      // Without the check, a server may be left on the chosen port or on `elsewhere`: stop it.
      const stray = Number(/127\.0\.0\.1:(\d+)/.exec(String((error as Error).message))?.[1]);
      for (const port of [stray, elsewhere].filter(Number.isInteger)) {
        await redisCommand({ host: '127.0.0.1', port, timeoutMs: 500 }, ['SHUTDOWN', 'NOSAVE']).catch(() => undefined);
      }
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/args must not set/) });
    }
  });
});
