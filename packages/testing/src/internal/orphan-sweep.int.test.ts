/** A redis-server whose test process was SIGKILLed (no exit hook ran) is stopped by the next process's sweep. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { sweepOrphanedServers } from './orphan-sweep.js';
import { redisCommand } from './redis-command.js';
import { parseInfo } from './reply-fields.js';
import { processAlive } from '../process-alive.js';

const entry = fileURLToPath(new URL('../index.ts', import.meta.url));
// A test process that starts a binary Redis, says where, and hangs until it is killed.
const script = `import(${JSON.stringify(entry)}).then(async ({ startRedis }) => {
  const redis = await startRedis({ via: 'binary' });
  console.log('URL ' + redis.url);
  setInterval(() => {}, 1000);
});`;

it.runIf(existsSync('/proc/self/stat'))(
  'stops a redis-server left behind by a SIGKILLed test process, and removes its temp dir',
  { timeout: 30_000 },
  async () => {
    const owner = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /URL (\S+)/.exec(output);
        if (match) resolve(match[1] as string);
      });
      owner.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
    });
    const port = Number(new URL(url).port);
    const info = parseInfo(await redisCommand({ host: '127.0.0.1', port, timeoutMs: 2_000 }, ['INFO', 'server']));
    const serverPid = Number(info.get('process_id'));
    const [, dir] = (await redisCommand({ host: '127.0.0.1', port, timeoutMs: 2_000 }, ['CONFIG', 'GET', 'dir'])) as [
      string,
      string,
    ];
    expect(existsSync(dir)).toBe(true);
    owner.kill('SIGKILL'); // no exit hook runs: the server is orphaned
    await new Promise((resolve) => owner.once('exit', resolve));
    expect(processAlive(serverPid)).toBe(true);
    expect(sweepOrphanedServers()).toBeGreaterThanOrEqual(1);
    await expect.poll(() => processAlive(serverPid), { timeout: 5_000 }).toBe(false);
    expect(existsSync(dir)).toBe(false);
  },
);
