/**
 * Neither path available: no Docker engine, no `redis-server` on PATH. The error must say that both were
 * tried and why each failed, instead of an ENOENT that recommends the (absent) container path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, startRedisCluster, startRedisSentinel } from '@switchyard/testing';

describe('with no Docker engine and no redis-server on PATH', () => {
  const saved = { ...process.env };
  let emptyDir: string;
  beforeAll(() => {
    emptyDir = mkdtempSync(join(tmpdir(), 'switchyard-no-redis-'));
    // This file runs in its own module graph: the Docker probe is cached per process and this is its first call.
    process.env.DOCKER_HOST = `unix://${join(emptyDir, 'docker.sock')}`;
    process.env.PATH = emptyDir;
    delete process.env.REDIS_URL;
    delete process.env.SWITCHYARD_TESTING_VIA;
  });
  afterAll(() => {
    for (const key of ['DOCKER_HOST', 'PATH', 'REDIS_URL', 'SWITCHYARD_TESTING_VIA']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    rmSync(emptyDir, { recursive: true, force: true });
  });

  it('auto says neither path is there, and why', async () => {
    for (const start of [() => startRedis(), () => startRedisSentinel(), () => startRedisCluster()]) {
      const error = await start().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'NOT_AVAILABLE' });
      const { message } = error as Error;
      expect(message).toMatch(/no Docker engine answered \(unix:\/\/.*docker\.sock\)/);
      expect(message).toMatch(/redis-server is not on PATH/);
      expect(message).not.toMatch(/use the container path/);
    }
  });

  it("via: 'binary' names the missing binary and where it was looked for", async () => {
    await expect(startRedis({ via: 'binary' })).rejects.toMatchObject({
      code: 'NOT_AVAILABLE',
      message: expect.stringContaining(`redis-server is not on PATH (${emptyDir})`),
    });
  });
});
