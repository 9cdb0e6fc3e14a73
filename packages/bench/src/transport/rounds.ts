import { mkdir } from 'node:fs/promises';
import { loadAverage } from '../machine.js';
import { Child } from './child.js';
import { runOrder } from './run-order.js';
import type {
  RunSample,
  ServerReply,
  ServerRequest,
  SubjectSettings,
  Target,
  WorkerReply,
  WorkerTotals,
  WorkerRequest,
} from './protocol.js';

/** A server child to start. */
export interface ServerSpec {
  id: string;
  execArgv?: readonly string[];
  env?: Record<string, string>;
}

/** A client worker to start: one subject. */
export interface WorkerSpec {
  id: string;
  /** Which server (by id) it calls. */
  server: string;
  settings: SubjectSettings;
  execArgv?: readonly string[];
  env?: Record<string, string>;
}

/** How long and how often. */
export interface RoundsConfig {
  rounds: number;
  /** Closed-loop duration of one run. */
  runMs: number;
  /** Warm-up per subject and concurrency, before the first round. */
  warmupMs: number;
  concurrencies: readonly number[];
  /** Subjects whose workers run with `--cpu-prof` (profiles go to `profileDir`). */
  cpuProfile: readonly string[];
  /** More node/V8 flags for the profiled workers only (`BENCH_PROF_FLAGS`, e.g. `--no-turbo-inlining` for attribution). */
  profileFlags: readonly string[];
  profileDir: string;
}

/** One run, with the server's CPU over it. */
export interface Run extends RunSample {
  round: number;
  /** Server process CPU (user + system) over the run, per call. */
  serverCpuMicrosPerCall: number;
  /** 1-minute load average right after the run. */
  loadAverage1m: number;
}

/** Everything one subject did. */
export interface SubjectRuns {
  id: string;
  setupMs: number;
  notes: string[];
  runs: Run[];
  /** Where its CPU profile was written, with `--cpu-prof`. */
  cpuProfile?: string;
  /** Calls, dropped spans and failed exports over the worker's life (warm-up included). */
  totals?: WorkerTotals;
}

type ServerChild = Child<ServerRequest, ServerReply>;
type WorkerChild = Child<WorkerRequest, WorkerReply>;

/**
 * Starts the servers (each in its own process, on 127.0.0.1), then one client worker per subject (one
 * after another, each warmed up at every concurrency before the next starts), then runs `rounds`
 * rounds: in each, for each concurrency, every subject runs once, in the round's order of a Williams
 * design (see runOrder), so drift in the machine's load spreads over all subjects, and so does what
 * one run leaves behind for the next. The servers' CPU is read around every run.
 */
export async function runRounds(options: {
  serverFile: string;
  workerFile: string;
  servers: readonly ServerSpec[];
  workers: readonly WorkerSpec[];
  config: RoundsConfig;
  log: (message: string) => void;
}): Promise<SubjectRuns[]> {
  const { config, log } = options;
  const servers = new Map<string, { child: ServerChild; target: Target }>();
  const workers: { spec: WorkerSpec; child: WorkerChild; result: SubjectRuns }[] = [];
  try {
    for (const spec of options.servers) {
      const child: ServerChild = new Child(`server ${spec.id}`, options.serverFile, spec);
      const { port } = await child.next('listening');
      servers.set(spec.id, { child, target: { host: '127.0.0.1', port } });
      log(`server ${spec.id}: listening on 127.0.0.1:${port}`);
    }
    if (config.cpuProfile.length > 0) await mkdir(config.profileDir, { recursive: true });
    const warmup = [...config.concurrencies]
      .sort((a, b) => b - a)
      .map((concurrency) => ({ concurrency, durationMs: config.warmupMs }));
    for (const spec of options.workers) {
      const server = servers.get(spec.server);
      if (!server) throw new Error(`${spec.id}: no server ${spec.server}`);
      const profiled = config.cpuProfile.includes(spec.id);
      const profileName = `${spec.id}-${process.pid}.cpuprofile`;
      const child: WorkerChild = new Child(`worker ${spec.id}`, options.workerFile, {
        execArgv: [
          ...(spec.execArgv ?? []),
          ...(profiled
            ? [
                '--cpu-prof',
                `--cpu-prof-dir=${config.profileDir}`,
                `--cpu-prof-name=${profileName}`,
                ...config.profileFlags,
              ]
            : []),
        ],
        ...(spec.env ? { env: spec.env } : {}),
      });
      const result: SubjectRuns = {
        id: spec.id,
        setupMs: 0,
        notes: [],
        runs: [],
        ...(profiled ? { cpuProfile: `${config.profileDir}/${profileName}` } : {}),
      };
      workers.push({ spec, child, result });
      const ready = await child.request(
        { type: 'setup', subject: spec.id, target: server.target, settings: spec.settings, warmup },
        'ready',
      );
      result.setupMs = ready.setupMs;
      result.notes = ready.notes;
      log(`${spec.id}: ready (${(ready.setupMs / 1_000).toFixed(1)} s with warm-up)`);
    }
    for (let round = 0; round < config.rounds; round++) {
      log(`round ${round + 1} of ${config.rounds} (load average ${loadAverage().join(' / ')})`);
      const order = runOrder(round, workers.length);
      for (const concurrency of config.concurrencies) {
        for (let step = 0; step < workers.length; step++) {
          const worker = workers[order[step] as number] as (typeof workers)[number];
          const server = servers.get(worker.spec.server) as { child: ServerChild };
          const before = await server.child.request({ type: 'cpu' }, 'cpu');
          const { sample } = await worker.child.request({ type: 'run', concurrency, durationMs: config.runMs }, 'run');
          const after = await server.child.request({ type: 'cpu' }, 'cpu');
          const serverMicros = after.usage.user - before.usage.user + (after.usage.system - before.usage.system);
          worker.result.runs.push({
            ...sample,
            round,
            serverCpuMicrosPerCall: serverMicros / sample.operations,
            loadAverage1m: loadAverage()[0],
          });
        }
      }
    }
    for (const worker of workers) {
      worker.result.totals = (await worker.child.request({ type: 'close' }, 'closed')).totals;
      if (!(await exitsWithin(worker.child, 10_000))) {
        log(
          `${worker.spec.id}: did not exit within 10 s of closing; killed${worker.result.cpuProfile ? ' (no CPU profile)' : ''}`,
        );
      }
    }
    for (const server of servers.values()) {
      await server.child.request({ type: 'close' }, 'closed');
      await exitsWithin(server.child, 10_000);
    }
    return workers.map((worker) => worker.result);
  } finally {
    for (const worker of workers) worker.child.kill();
    for (const server of servers.values()) server.child.kill();
  }
}

async function exitsWithin(child: { exited(): Promise<void>; kill(): void }, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    child.exited().then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  if (!exited) child.kill();
  return exited;
}
