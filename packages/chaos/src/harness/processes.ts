/**
 * Child processes for the chaos scenarios: every service runs as its own Node process (as in
 * production), started with `--conditions=@switchyard/source --import tsx`, its stdout/stderr parsed as JSON
 * lines. Every process started here is remembered until it exits, so `killAll()` (afterEach) and
 * the process-exit hook can SIGKILL whatever a failing test left behind; and each child exits by
 * itself once the test process is gone, even SIGKILLed (`exit-with-parent.ts`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (processes of the example system run from there, as `pnpm demo` does). */
export const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
/** This package's directory (the echo fixture runs from here, with this package's tsx). */
export const chaosRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Preloaded into every child: it exits once the test process that started it is gone. */
const EXIT_WITH_PARENT = new URL('./exit-with-parent.ts', import.meta.url).href;

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One JSON line a child printed (stdout or stderr), with when it arrived. */
export interface LogRecord {
  at: number;
  fields: Record<string, unknown>;
}

export interface ServiceProcess {
  readonly label: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** The last lines printed (for failure messages). */
  readonly tail: string[];
  /** Whether the process is still running. */
  readonly running: boolean;
  /** The registry id the service announced (`"<name> started"` log line), once it did. */
  instanceId: string | undefined;
  /** Resolves with the first JSON line matching `predicate` (also ones already printed). */
  waitFor(predicate: (fields: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<LogRecord>;
  /** Resolves once the service registered (`"<name> started"`), with its instance id. */
  started(timeoutMs?: number): Promise<string>;
  /** Sends one control command on stdin (the echo fixture) and resolves with its JSON reply. */
  control(command: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

const live = new Set<ServiceProcess>();
let exitHookInstalled = false;

/**
 * Starts `node --conditions=@switchyard/source --import tsx <entry>` (plus the exit-with-parent preload) with the
 * given environment. `cwd` decides
 * which tsx is used (the package's own `node_modules`).
 */
export function startProcess(options: {
  label: string;
  entry: string;
  cwd: string;
  env: Record<string, string>;
}): ServiceProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const proc of live) proc.kill('SIGKILL');
    });
  }
  const child = spawn(
    process.execPath,
    ['--conditions=@switchyard/source', '--import', 'tsx', '--import', EXIT_WITH_PARENT, options.entry],
    {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const records: LogRecord[] = [];
  const tail: string[] = [];
  const lineWaiters = new Set<(record: LogRecord) => void>();
  let running = true;
  let seq = 0;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(proc);
      resolve({ code, signal });
    });
  });
  const onChunk = (): ((chunk: Buffer) => void) => {
    let pending = '';
    return (chunk) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
        if (tail.length > 40) tail.shift();
        if (!line.startsWith('{')) continue;
        let fields: Record<string, unknown>;
        try {
          fields = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const record = { at: Date.now(), fields };
        // Keep what waiters may look for later (bounded: the control replies and lifecycle lines).
        if (records.length < 500) records.push(record);
        if (typeof fields.msg === 'string' && fields.msg.endsWith(' started') && typeof fields.id === 'string') {
          proc.instanceId = fields.id;
        }
        for (const waiter of [...lineWaiters]) waiter(record);
      }
    };
  };
  child.stdout?.on('data', onChunk());
  child.stderr?.on('data', onChunk());
  child.stdin?.on('error', () => undefined); // a dead child's stdin: EPIPE is expected

  const waitFor: ServiceProcess['waitFor'] = (predicate, timeoutMs, what) => {
    const found = records.find((record) => predicate(record.fields));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, record?: LogRecord): void => {
        clearTimeout(timer);
        lineWaiters.delete(onLine);
        if (error) reject(error);
        else resolve(record as LogRecord);
      };
      const onLine = (record: LogRecord): void => {
        if (predicate(record.fields)) finish(undefined, record);
      };
      const timer = setTimeout(
        () =>
          finish(new Error(`${options.label}: no ${what} within ${timeoutMs} ms; last output:\n${tail.join('\n')}`)),
        timeoutMs,
      );
      lineWaiters.add(onLine);
      exited.then((exit) => {
        if (lineWaiters.has(onLine)) {
          finish(
            new Error(
              `${options.label} exited (${exit.code ?? exit.signal}) before ${what}; last output:\n${tail.join('\n')}`,
            ),
          );
        }
      });
    });
  };

  const proc: ServiceProcess = {
    label: options.label,
    child,
    pid: child.pid as number,
    exited,
    tail,
    get running() {
      return running;
    },
    instanceId: undefined,
    waitFor,
    async started(timeoutMs = 30_000) {
      const record = await waitFor(
        (fields) => typeof fields.msg === 'string' && fields.msg.endsWith(' started') && typeof fields.id === 'string',
        timeoutMs,
        'registration ("started")',
      );
      return record.fields.id as string;
    },
    async control(command, timeoutMs = 5_000) {
      const id = ++seq;
      const reply = waitFor((fields) => fields.controlReply === id, timeoutMs, `a reply to "${command}"`);
      child.stdin?.write(`${id} ${command}\n`);
      return (await reply).fields;
    },
    kill(signal) {
      if (running) child.kill(signal);
    },
  };
  live.add(proc);
  return proc;
}

/** SIGKILLs every process still running and waits (bounded) until they are gone. */
export async function killAll(timeoutMs = 5_000): Promise<void> {
  const procs = [...live];
  for (const proc of procs) proc.kill('SIGKILL');
  await Promise.race([Promise.all(procs.map((proc) => proc.exited)), sleep(timeoutMs)]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
