import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamespace } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/close-child.ts', import.meta.url));

/**
 * Runs the close-child fixture against `url`: waits for its first line, calls `meanwhile`, tells it
 * to close, and measures how long the process lives on after its `close()` resolved.
 */
async function exitAfterClose(
  url: string,
  meanwhile: () => Promise<void> = async () => {},
): Promise<{ first: string; lingeredMs: number }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@switchyard/source', '--import', 'tsx', fixture, url, uniqueNamespace()],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let how = '';
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => {
      how = `code ${code}, signal ${signal}`;
      resolve(performance.now());
    }),
  );
  let output = '';
  const line = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (output.includes(text)) resolve();
      };
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        check();
      });
      check();
      void exited.then(() => reject(new Error(`child exited (${how}) before printing ${text}: ${output}`)));
    });
  try {
    await Promise.race([line('registered'), line('register failed')]);
    const first = output.split('\n')[0] ?? '';
    await meanwhile();
    child.kill('SIGUSR2');
    await line('closed');
    const closedAt = performance.now();
    const exitedAt = await Promise.race([
      exited,
      new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 10_000)),
    ]);
    return { first, lingeredMs: exitedAt - closedAt };
  } finally {
    child.kill('SIGKILL');
  }
}

/** A loopback port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a closed RedisRegistry lets the process exit', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.resume().catch(() => {});
    await redis?.stop();
  });

  it('at once after a first connection that never came (refused)', async () => {
    const { first, lingeredMs } = await exitAfterClose(`redis://127.0.0.1:${await closedPort()}`);
    expect(first).toBe('register failed');
    // ioredis's disconnect() arms a 2 s timer to destroy a socket that was already gone.
    expect(lingeredMs).toBeLessThan(500);
  });

  it('at once after a healthy connection', async () => {
    const { first, lingeredMs } = await exitAfterClose(redis.url);
    expect(first).toBe('registered');
    expect(lingeredMs).toBeLessThan(500);
  });

  it('at once when Redis hangs (SIGSTOP) before close()', async () => {
    const { first, lingeredMs } = await exitAfterClose(redis.url, () => redis.pause());
    await redis.resume();
    expect(first).toBe('registered');
    // The socket to a frozen Redis never finishes closing: only the timer ended it, 2 s later.
    expect(lingeredMs).toBeLessThan(500);
  });
});
