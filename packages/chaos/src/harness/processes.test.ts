import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { chaosRoot } from './processes.js';
import { processAlive } from '@switchyard/testing';

const harness = fileURLToPath(new URL('./processes.ts', import.meta.url));
// A test process stand-in: starts a child that reads no stdin (as the shopping-guide services),
// says its pid once it is up, and waits to be killed.
const owner = `import(${JSON.stringify(harness)}).then(async ({ startProcess, chaosRoot }) => {
  const child = startProcess({ label: 'idle', entry: 'src/fixtures/idle-process.ts', cwd: chaosRoot, env: {} });
  await child.started(20_000);
  console.log('CHILD ' + child.pid);
  setInterval(() => {}, 1000);
});`;

it('a child exits by itself when the test process that started it is SIGKILLed', { timeout: 40_000 }, async () => {
  const parent: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@switchyard/source', '--import', 'tsx', '-e', owner],
    {
      cwd: chaosRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let childPid: number | undefined;
  try {
    childPid = await new Promise<number>((resolve, reject) => {
      let output = '';
      parent.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /CHILD (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      parent.once('exit', (code) => reject(new Error(`the owner exited early (${code}): ${output}`)));
    });
    expect(processAlive(childPid)).toBe(true);
    parent.kill('SIGKILL'); // no exit hook, no afterEach: only the child itself can notice
    await expect.poll(() => processAlive(childPid as number), { timeout: 5_000, interval: 100 }).toBe(false);
  } finally {
    if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    if (childPid !== undefined && processAlive(childPid)) process.kill(childPid, 'SIGKILL');
  }
});
