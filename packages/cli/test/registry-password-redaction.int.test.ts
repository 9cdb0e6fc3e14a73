/**
 * Registry passwords are never printed (README: "The URL with any password masked, for messages"):
 * not when given as ioredis's `?password=` query parameter (which ioredis logs in with), not when
 * `--registry` is given twice, not when a URL ends up where another argument belongs.
 */
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { runCli } from '../src/index.js';

/** Runs `switchyard dashboard` in-process, fetches its page, then stops it as Ctrl-C does. */
async function dashboardPage(registryUrl: string): Promise<{ code: number; html: string; stderr: string }> {
  const controller = new AbortController();
  const stdout = new PassThrough().setEncoding('utf8');
  const stderr = new PassThrough().setEncoding('utf8');
  let out = '';
  let err = '';
  stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  const started = new Promise<string>((resolve) => {
    stdout.on('data', (chunk: string) => {
      out += chunk;
      const url = /(http:\/\/\S+\/)/.exec(out)?.[1];
      if (url) resolve(url);
    });
  });
  const running = runCli(['dashboard', '--port', '0', '--registry', registryUrl], {
    io: { stdout, stderr, stdin: Readable.from([]), env: {} },
    signal: controller.signal,
  });
  const url = await Promise.race([started, running.then(() => '')]);
  const html = url ? await (await fetch(url)).text() : '';
  controller.abort();
  return { code: await running, html, stderr: err };
}

const SECRET = 'hunter2-very-secret';
let protectedRedis: RedisServerHandle;

beforeAll(async () => {
  protectedRedis = await startRedis({ password: SECRET });
}, 120_000);

afterAll(async () => {
  await protectedRedis?.stop();
});

describe('registry URL redaction', { timeout: 60_000 }, () => {
  it('a password given as ?password= authenticates, and is never printed (error, stdout, dashboard title)', async () => {
    // Before: redactUrl masked only the user info and sentinelPassword=, so all three showed it.
    const url = `redis://127.0.0.1:${protectedRedis.port}/0?password=${SECRET}`;
    // ioredis takes the query parameter as the password: the CLI really uses it.
    const ok = await runCliInProcess(['ls', '--registry', url]);
    expect(ok.code, ok.stderr).toBe(0);
    const unreachable = await runCliInProcess(['ls', '--registry', `redis://127.0.0.1:1/0?password=${SECRET}`]);
    expect(unreachable.code).toBe(1);
    const dash = await dashboardPage(url);
    expect(dash.code, dash.stderr).toBe(0);
    const page = `${ok.stdout}${ok.stderr}${unreachable.stdout}${unreachable.stderr}${dash.html}`;
    expect(page).not.toContain(SECRET);
  });

  it('--registry given twice does not print the passwords of both URLs', async () => {
    // Before: "--registry is given twice (\"redis://:<password>-one@…\", …)".
    const result = await runCliInProcess([
      'ls',
      '--registry',
      `redis://:${SECRET}-one@127.0.0.1:1`,
      '--registry',
      `redis://:${SECRET}-two@127.0.0.1:1`,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--registry is given twice/);
    expect(result.stderr).not.toContain(SECRET);
  });

  it('a URL given where another argument belongs is echoed in the usage error with its password masked', async () => {
    // Before: echoed as given ("unexpected argument", "unknown command", the service-name rule).
    const url = `redis://:${SECRET}@127.0.0.1:1`;
    const env = { SWITCHYARD_REGISTRY_URL: 'redis://127.0.0.1:1' };
    for (const argv of [
      ['ls', url],
      ['ls', 'alpha', url],
      [url, 'ls'],
      ['watch', url],
    ]) {
      const result = await runCliInProcess(argv, env);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain('redis://:***@127.0.0.1:1');
      expect(result.stderr, argv.join(' ')).not.toContain(SECRET);
    }
  });
});
