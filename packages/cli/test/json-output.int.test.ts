/**
 * `--json` output against a real Redis, run in-process (runCli with captured streams): registry
 * data is untrusted, so JSON printed to a terminal must be as safe as the tables are.
 */
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';

let redis: RedisServerHandle;
let registry: Registry;

// C1 CSI (a colour change in a terminal that honours 8-bit controls), DEL, and bidi overrides that
// can make a line read differently from what it is. JSON.stringify leaves all of them raw.
const HOSTILE = 'ok\u009b31m\u007f\u202edisguised\u2066';
const UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Runs the CLI in-process against the test Redis; `until` stops a streaming command. */
const run = (argv: string[], until?: (stdout: string) => boolean) =>
  runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url }, until);

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  await registry.register({
    id: 'hostile-1',
    service: 'hostile',
    host: '127.0.0.1',
    ports: { grpc: 1 },
    metadata: { note: HOSTILE },
  });
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await redis?.stop();
});

describe('--json output of registry data', { timeout: 60_000 }, () => {
  it('ls <service> --json escapes C1 controls and bidi overrides, and still parses to the same value', async () => {
    const result = await run(['ls', 'hostile', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(UNSAFE);
    const parsed = JSON.parse(result.stdout) as { instances: { metadata: { note: string } }[] };
    expect(parsed.instances[0]?.metadata.note).toBe(HOSTILE);
  });

  it('watch --json escapes them too', async () => {
    const result = await run(['watch', 'hostile', '--json'], (stdout) => stdout.includes('\n'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(UNSAFE);
    const snapshot = JSON.parse(result.stdout.split('\n')[0] as string) as {
      instances: { metadata: { note: string } }[];
    };
    expect(snapshot.instances[0]?.metadata.note).toBe(HOSTILE);
  });
});
