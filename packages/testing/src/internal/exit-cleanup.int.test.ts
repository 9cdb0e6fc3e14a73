/**
 * What a test process's own SIGTERM handling sees of the servers it started: a handler that shuts
 * down gracefully (a service deregistering from the registry, as @switchyard/service does on
 * SIGTERM) still has its Redis; the servers go once the process exits, and a process that nobody
 * else handles the signal in still dies of it, leaving nothing running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive } from '../process-alive.js';
import { redisCommand } from './redis-command.js';
import { parseInfo } from './reply-fields.js';

const entry = fileURLToPath(new URL('../index.ts', import.meta.url));
const command = fileURLToPath(new URL('./redis-command.ts', import.meta.url));

/**
 * A test process that installs `handler` (JS source, may be empty) before or after it starts a binary Redis,
 * prints its URL and hangs.
 */
function script(handler: string, installed: 'before' | 'after'): string {
  return `Promise.all([import(${JSON.stringify(entry)}), import(${JSON.stringify(command)})]).then(async ([{ startRedis }, { redisCommand }]) => {
  let redis;
  const ping = () => redisCommand({ host: '127.0.0.1', port: redis.port, timeoutMs: 1000 }, ['PING']).catch((error) => 'ERR ' + error.message);
  ${installed === 'before' ? handler : ''}
  redis = await startRedis({ via: 'binary' });
  ${installed === 'after' ? handler : ''}
  console.log('URL ' + redis.url);
  setInterval(() => {}, 1000);
});`;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Runs the script, sends SIGTERM once it has a server, and returns what it printed and how it ended. */
async function terminate(
  handler: string,
  installed: 'before' | 'after' = 'after',
): Promise<{ output: string; serverPid: number; ended: string }> {
  const args = ['--conditions=@switchyard/source', '--import', 'tsx', '-e', script(handler, installed)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  const ended = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /URL (\S+)/.exec(output);
      if (match) resolve(match[1] as string);
    });
    void ended.then((how) => reject(new Error(`the test process exited early (${how}): ${output}`)));
  });
  const port = Number(new URL(url).port);
  const info = parseInfo(await redisCommand({ host: '127.0.0.1', port, timeoutMs: 2_000 }, ['INFO', 'server']));
  const serverPid = Number(info.get('process_id'));
  child.kill('SIGTERM');
  return { serverPid, ended: await ended, output };
}

describe('servers of a process that gets SIGTERM', { timeout: 30_000 }, () => {
  it("keep running under the process's own graceful-shutdown handler, and go when it exits", async () => {
    // A graceful shutdown that still needs Redis, then exits: its Redis was SIGKILLed under it.
    const result = await terminate(`process.on('SIGTERM', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      console.log('PING ' + (await ping()));
      process.exit(0);
    });`);
    expect(result.output).toContain('PING PONG');
    expect(result.ended).toBe('code 0');
    await expect.poll(() => processAlive(result.serverPid), { timeout: 5_000 }).toBe(false);
  });

  it.each(['before', 'after'] as const)(
    'keep running under a one-shot handler (installed %s the first start) that re-raises the signal, and go when it does',
    async (installed) => {
      // The usual "clean up, then die of the signal" pattern: with a one-shot listener of ours, the
      // servers were killed at the first signal, before the handler's clean-up ran.
      const result = await terminate(
        `process.once('SIGTERM', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      console.log('PING ' + (await ping()));
      process.kill(process.pid, 'SIGTERM');
    });`,
        installed,
      );
      expect(result.output).toContain('PING PONG');
      expect(result.ended).toBe('SIGTERM');
      await expect.poll(() => processAlive(result.serverPid), { timeout: 5_000 }).toBe(false);
    },
  );

  it('are stopped, and the process still dies of the signal, when nobody else handles it', async () => {
    const result = await terminate('');
    expect(result.ended).toBe('SIGTERM');
    await expect.poll(() => processAlive(result.serverPid), { timeout: 5_000 }).toBe(false);
  });
});
