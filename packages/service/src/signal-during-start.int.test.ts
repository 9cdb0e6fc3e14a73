/**
 * A SIGTERM that arrives while startService() is still starting, in a real child process: the
 * signal waits for the start, and when the start then fails the process must exit non-zero.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Runs test-support/start-fails-after-signal.ts, sends it SIGTERM once register() is under way, and
 * resolves with what it printed (stdout, stderr) and how it ended (SIGKILLed after 20 s, so a hang fails the test).
 */
async function sigtermDuringFailingStart(
  startFailure: 'exit-code' | 'top-level' | 'run-service',
): Promise<{ output: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  const fixture = fileURLToPath(new URL('./test-support/start-fails-after-signal.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, START_FAILURE: startFailure },
  });
  let output = '';
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (!sent && output.includes('registering\n')) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const ended = await exited;
  clearTimeout(timer);
  return { output, stderr, ...ended };
}

describe('a signal during a start that then fails', () => {
  it('exits 1, not 0, when the main module reports the failure and sets process.exitCode', async () => {
    const { output, code, signal } = await sigtermDuringFailingStart('exit-code');
    // The signal's stop called process.exit(0) once the start had settled, whatever it settled to,
    // overriding the exitCode of 1 the main module had set: Kubernetes saw a clean exit.
    expect(output).toContain('start failed: registry unreachable');
    expect({ code, signal }).toEqual({ code: 1, signal: null });
  }, 30_000);

  it('exits 1 and logs the cause when the failure is an unhandled top-level await', async () => {
    const { output, code, signal } = await sigtermDuringFailingStart('top-level');
    // Exited 0 before Node could report the rejection: the failure left no trace at all.
    expect(output).toMatch(/logged: .*: registry unreachable/);
    expect({ code, signal }).toEqual({ code: 1, signal: null });
  }, 30_000);

  it('leaves runService its one line on stderr and exit code 1', async () => {
    const { output, stderr, code, signal } = await sigtermDuringFailingStart('run-service');
    expect(stderr).toBe('fails-late: failed to start: registry unreachable\n');
    // runService exits first: the signal handling's own log of the failure is not added to it.
    expect(output).not.toContain('logged:');
    expect({ code, signal }).toEqual({ code: 1, signal: null });
  }, 30_000);
});
