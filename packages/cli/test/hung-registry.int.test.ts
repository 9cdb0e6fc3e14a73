/**
 * A registry that stops answering (Redis paused with SIGSTOP: connections open, no replies).
 * - README, call: "`--deadline-ms 500` ends within about 500 ms whatever the registry does".
 * - README, watch and dashboard: Ctrl-C stops them with exit 0, even while they are starting.
 */
import { PassThrough, Readable } from 'node:stream';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { createRegistry, type Registry } from '@switchyard/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { startEcho, type EchoInstance, callSay } from './fixtures/echo-fleet.js';

let redis: RedisServerHandle;
let registry: Registry;
let echo: EchoInstance;

beforeAll(async () => {
  redis = await startRedis({ via: process.env.SWITCHYARD_TESTING_VIA === 'container' ? 'container' : 'binary' });
  registry = createRegistry(redis.url);
  echo = await startEcho(registry, { id: 'echo-hung', service: 'echo' });
}, 120_000);

afterAll(async () => {
  await redis?.resume().catch(() => undefined);
  await echo?.stop();
  await registry?.close();
  await redis?.stop();
});

/** Runs the CLI in-process on the paused registry; `abortAfterMs` stops it (Ctrl-C) that long after its start. */
async function run(argv: string[], abortAfterMs?: number) {
  const started = performance.now();
  const result = await runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url }, undefined, abortAfterMs);
  return { ...result, elapsedMs: performance.now() - started };
}

/**
 * Starts a streaming command in-process and resolves once what it printed passes `ready`;
 * `waitFor()` waits for more output, and `stop()` aborts it (Ctrl-C) and says how long it took to
 * exit after that.
 */
async function startStreaming(argv: string[], ready: (stdout: string) => boolean) {
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const out = new PassThrough().setEncoding('utf8');
  const err = new PassThrough().setEncoding('utf8');
  out.on('data', (chunk: string) => {
    stdout += chunk;
    for (const wake of waiters) wake();
  });
  err.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const env = { SWITCHYARD_REGISTRY_URL: redis.url };
  const exit = runCli(argv, {
    io: { stdout: out, stderr: err, stdin: Readable.from([]), env },
    signal: controller.signal,
  });
  const waitFor = (test: (stdout: string) => boolean): Promise<void> =>
    Promise.race([
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!test(stdout)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
      exit.then((code) => {
        throw new Error(`exited ${code} while waited on: ${stdout}${stderr}`);
      }),
    ]);
  await waitFor(ready);
  return {
    waitFor,
    async stop() {
      const started = performance.now();
      controller.abort();
      const code = await exit;
      return { code, stdout, stderr, stopMs: performance.now() - started };
    },
  };
}

describe('a registry that stops answering', { timeout: 60_000 }, () => {
  it('call --deadline-ms 300 ends within about 300 ms even while the registry lookup hangs', async () => {
    await redis.pause();
    try {
      const result = await run(callSay('echo', '{}', '--deadline-ms', '300'));
      // Before: the registry lookup ignored the deadline and failed after the 2 s connect timeout.
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/deadline of 300 ms exceeded/);
      // "about 300 ms": a generous bound, well under the registry's own 2 s connect timeout.
      expect(result.elapsedMs, result.stderr).toBeLessThan(1_200);
    } finally {
      await redis.resume();
    }
  });

  it('Ctrl-C stops watch at once (exit 0) while its start waits on the registry', async () => {
    await redis.pause();
    try {
      // Before: the Ctrl-C was ignored until the registry timed out (2 s), then exit 1.
      const result = await run(['watch', 'echo'], 300);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.elapsedMs).toBeLessThan(1_500);
    } finally {
      await redis.resume();
    }
  });

  it('Ctrl-C stops dashboard at once (exit 0) while its start waits on the registry', async () => {
    await redis.pause();
    try {
      // Before: the Ctrl-C was ignored until the registry timed out (2 s), then exit 1.
      const result = await run(['dashboard', '--port', '0'], 300);
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
      expect(result.elapsedMs).toBeLessThan(1_500);
    } finally {
      await redis.resume();
    }
  });

  it('Ctrl-C stops a running watch at once (exit 0) once the registry has stopped answering', async () => {
    const watch = await startStreaming(['watch', 'echo'], (stdout) => stdout.includes('snapshot'));
    await redis.pause();
    try {
      await watch.waitFor((stdout) => stdout.includes('stale'));
      const result = await watch.stop();
      // Before: unsubscribing waited on the hung registry (1-2 s), and then the registry's close
      // had its own 0.5 s. Now both share the 0.5 s a stopped run gets (with room for a busy machine).
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stopMs).toBeLessThan(850);
    } finally {
      await redis.resume();
    }
  });

  it('Ctrl-C stops a running dashboard at once (exit 0) once the registry has stopped answering', async () => {
    const dashboard = await startStreaming(['dashboard', '--port', '0'], (stdout) => stdout.includes('dashboard on'));
    await redis.pause();
    try {
      const result = await dashboard.stop();
      // Before: closing its watches and its change subscription waited on the hung registry (3 s
      // and more, the HTTP server still open meanwhile).
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stopMs).toBeLessThan(850);
    } finally {
      await redis.resume();
    }
  });
});
