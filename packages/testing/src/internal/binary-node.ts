import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwitchyardTestingError } from '../testing-error.js';
import { onProcessExit } from './exit-cleanup.js';
import { recordOwnedServer, sweepOrphanedServersOnce } from './orphan-sweep.js';
import { waitForPing } from './readiness.js';
import type { RedisNode, RedisNodeSpec } from './redis-node.js';
import { SerialQueue } from './redis-node.js';
import { withTimeout } from './timeouts.js';

const STOP_GRACE_MS = 5_000;

/** A `redis-server` child process (a Sentinel runs as `redis-server <config> --sentinel`) in its own temp dir. */
export class BinaryRedisNode implements RedisNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private dir: string | undefined;
  private paused = false;
  private unregisterExitHook: (() => void) | undefined;
  private readonly queue = new SerialQueue();

  constructor(readonly spec: RedisNodeSpec) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  describe(): string {
    const pid = this.child?.pid === undefined ? '' : ` pid ${this.child.pid}`;
    return `${this.spec.label} (redis-server${pid} on 127.0.0.1:${this.spec.port})`;
  }

  start(): Promise<void> {
    return this.queue.run(async () => {
      if (this.child) return;
      try {
        await this.spawnAndWait();
      } catch (error) {
        await this.terminate('SIGKILL');
        throw error;
      }
    });
  }

  stop(): Promise<void> {
    return this.queue.run(() => this.terminate('SIGTERM'));
  }

  kill(): Promise<void> {
    return this.queue.run(() => this.terminate('SIGKILL'));
  }

  pause(): Promise<void> {
    return this.queue.run(async () => {
      this.signalRunning('SIGSTOP', 'pause');
      this.paused = true;
    });
  }

  resume(): Promise<void> {
    return this.queue.run(async () => {
      this.signalRunning('SIGCONT', 'resume');
      this.paused = false;
    });
  }

  private async spawnAndWait(): Promise<void> {
    // Servers left running by a test process that was SIGKILLed: stopped before this one starts.
    sweepOrphanedServersOnce();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-'));
    this.dir = dir;
    const args = [...this.spec.args, '--dir', dir];
    if (this.spec.kind === 'sentinel') {
      const configPath = join(dir, 'sentinel.conf');
      writeFileSync(configPath, this.spec.config ?? '');
      args.unshift(configPath);
      args.push('--sentinel');
    }
    // Output goes to a file, not a pipe: nothing keeps the test process alive, and errors can quote it.
    const outputFd = openSync(join(dir, 'output.log'), 'a');
    const child = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', outputFd, outputFd] });
    closeSync(outputFd);
    child.unref();
    this.child = child;
    this.paused = false;
    let failure: Error | undefined;
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        failure = new SwitchyardTestingError(
          'NOT_AVAILABLE',
          `could not run redis-server for ${this.spec.label}: ${error.message} ` +
            `(install redis-server, or use the container path: SWITCHYARD_TESTING_VIA=container)`,
          { cause: error },
        );
        resolve();
      });
      child.once('exit', (code, signal) => {
        const output = this.outputTail();
        failure ??= new SwitchyardTestingError(
          // Its free port was taken before it could bind it: the caller may try another.
          /Address already in use/i.test(output) ? 'PORT_TAKEN' : 'START_FAILED',
          `${this.describe()} exited during startup (${signal ?? `code ${code}`}):\n${output}`,
        );
        resolve();
      });
    });
    const forget = child.pid === undefined ? () => {} : recordOwnedServer(child.pid, dir);
    const unregister = onProcessExit(() => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      forget();
    });
    this.unregisterExitHook = () => {
      unregister();
      forget();
    };
    try {
      await waitForPing({
        port: this.spec.port,
        password: this.spec.kind === 'server' ? this.spec.password : undefined,
        ...(child.pid === undefined ? {} : { pid: child.pid }),
        timeoutMs: this.spec.startupTimeoutMs,
        what: `${this.describe()} to answer PING`,
        abort: () => failure,
      });
    } catch (error) {
      if (failure) throw failure;
      if (SwitchyardTestingError.isInstance(error) && error.code === 'PORT_TAKEN') throw error; // start() kills ours
      throw new SwitchyardTestingError('START_FAILED', `${(error as Error).message}; output:\n${this.outputTail()}`, {
        cause: error,
      });
    }
  }

  /** Signals the child (SIGCONT first if paused), waits for it to exit, then removes its temp dir. */
  private async terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.ref(); // an unref'd child's 'exit' would not keep the process alive while we wait for it
      if (this.paused && signal === 'SIGTERM') child.kill('SIGCONT');
      child.kill(signal);
      try {
        await withTimeout(this.exited, STOP_GRACE_MS, `${this.describe()} to exit after ${signal}`);
      } catch {
        child.kill('SIGKILL');
        await withTimeout(this.exited, STOP_GRACE_MS, `${this.describe()} to exit after SIGKILL`);
      }
    }
    this.child = undefined;
    this.paused = false;
    this.unregisterExitHook?.();
    this.unregisterExitHook = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** The last lines the process wrote (its log and stderr), indented, for error messages. */
  private outputTail(): string {
    let text = '';
    try {
      text = this.dir ? readFileSync(join(this.dir, 'output.log'), 'utf8').slice(-4_096).trim() : '';
    } catch {
      // no output file yet
    }
    return text === '' ? '  | (no output)' : text.replace(/^/gm, '  | ');
  }

  private signalRunning(signal: 'SIGSTOP' | 'SIGCONT', operation: string): void {
    if (!this.child) {
      throw new SwitchyardTestingError('UNSUPPORTED_OPERATION', `${operation}(): ${this.describe()} is not running`);
    }
    this.child.kill(signal);
  }
}
