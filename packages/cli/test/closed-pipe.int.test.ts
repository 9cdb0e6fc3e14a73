/**
 * The `switchyard` executable writing to a pipe whose reader went away (`switchyard call … | head -1`,
 * `… | grep -q x`): no stack trace, and the exit code of a command that was not interrupted by a
 * signal, whenever the EPIPE arrives.
 */
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoInstance, echoProto, protosDir, startEcho } from './fixtures/echo-fleet.js';
import { exited, spawnCli } from './fixtures/run-cli-process.js';

let redis: RedisServerHandle;
let registry: Registry;
let echo: EchoInstance;

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  echo = await startEcho(registry, { id: 'echo-pipe' });
}, 120_000);

afterAll(async () => {
  await echo?.stop();
  await registry?.close();
  await redis?.stop();
});

/** Runs the CLI, closes the read end of its stdout once `closeAfterFirstChunk` (or at once), and waits for the exit. */
async function runWithClosedStdout(args: readonly string[], closeAfterFirstChunk: boolean) {
  const child = spawnCli(args, { SWITCHYARD_REGISTRY_URL: redis.url });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  if (closeAfterFirstChunk) child.stdout.once('data', () => child.stdout.destroy());
  else child.stdout.destroy();
  const { code, signal } = await exited(child);
  return { code, signal, stderr };
}

describe('output to a closed pipe', { timeout: 120_000 }, () => {
  const proto = ['--proto', echoProto, '-I', protosDir];

  it('a server stream whose reader went away stops with exit 0 (as watch does), not 130 "interrupted"', async () => {
    const result = await runWithClosedStdout(
      ['call', 'echo', 'switchyard.echo.v1.Echo/Count', '{"count":10000000}', '--deadline-ms', '120000', ...proto],
      true,
    );
    expect(result.stderr).not.toMatch(/\n\s+at |EPIPE|node:internal/);
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
  });

  it('a call that succeeded exits 0 even though nobody read its answer', async () => {
    const result = await runWithClosedStdout(
      ['call', 'echo', 'switchyard.echo.v1.Echo/Say', '{"message":"unread"}', ...proto],
      false,
    );
    expect(result.stderr).not.toMatch(/\n\s+at |EPIPE|node:internal/);
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
  });
});
