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
  /**
   * Worker processes per subject: the rounds are split into this many equal blocks, and each block
   * gets a fresh, freshly warmed-up worker. A profiled subject keeps one process (one profile).
   */
  processes: number;
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
  /** Calls, dropped spans and failed exports over its workers' lives (warm-up included), summed. */
  totals?: WorkerTotals;
  /** How many worker processes it went through. */
  processes: number;
}

type ServerChild = Child<ServerRequest, ServerReply>;
type WorkerChild = Child<WorkerRequest, WorkerReply>;

/**
 * Starts the servers (each in its own process, on 127.0.0.1), then one client worker per subject (one
 * after another, each warmed up at every concurrency before the next starts), then runs `rounds`
 * rounds: in each, for each concurrency, every subject runs once, in the round's order of a Williams
 * design (see runOrder), so drift in the machine's load spreads over all subjects, and so does what
 * one run leaves behind for the next. The servers' CPU is read around every run. At each of the
 * `processes` blocks of rounds, every subject's worker is closed and a fresh one started and warmed
 * up in its place (see TransportRunConfig.processes for why).
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
    const profiled = (spec: WorkerSpec): boolean => config.cpuProfile.includes(spec.id);
    const profileNameOf = (spec: WorkerSpec): string => `${spec.id}-${process.pid}.cpuprofile`;
    /** Starts `spec`'s worker and warms it up. */
    const start = async (spec: WorkerSpec) => {
      const server = servers.get(spec.server);
      if (!server) throw new Error(`${spec.id}: no server ${spec.server}`);
      const child: WorkerChild = new Child(`worker ${spec.id}`, options.workerFile, {
        execArgv: [
          ...(spec.execArgv ?? []),
          ...(profiled(spec)
            ? [
                '--cpu-prof',
                `--cpu-prof-dir=${config.profileDir}`,
                `--cpu-prof-name=${profileNameOf(spec)}`,
                ...config.profileFlags,
              ]
            : []),
        ],
        ...(spec.env ? { env: spec.env } : {}),
      });
      try {
        const ready = await child.request(
          { type: 'setup', subject: spec.id, target: server.target, settings: spec.settings, warmup },
          'ready',
        );
        return { child, ready };
      } catch (error) {
        // Not yet in `workers`, so the clean-up below would not reach it.
        child.kill();
        throw error;
      }
    };
    /** Closes a worker, adding its totals to its subject's, and waits for it to exit. */
    const close = async (worker: (typeof workers)[number]): Promise<void> => {
      const { totals } = await worker.child.request({ type: 'close' }, 'closed');
      worker.result.totals = addTotals(worker.result.totals, totals);
      if (!(await exitsWithin(worker.child, 10_000))) {
        log(
          `${worker.spec.id}: did not exit within 10 s of closing; killed${worker.result.cpuProfile ? ' (no CPU profile)' : ''}`,
        );
      }
    };
    for (const spec of options.workers) {
      const { child, ready } = await start(spec);
      const result: SubjectRuns = {
        id: spec.id,
        setupMs: ready.setupMs,
        notes: ready.notes,
        runs: [],
        processes: 1,
        ...(profiled(spec) ? { cpuProfile: `${config.profileDir}/${profileNameOf(spec)}` } : {}),
      };
      workers.push({ spec, child, result });
      log(`${spec.id}: ready (${(ready.setupMs / 1_000).toFixed(1)} s with warm-up)`);
    }
    for (let round = 0; round < config.rounds; round++) {
      if (round > 0 && processBlockOf(round, config) !== processBlockOf(round - 1, config)) {
        log(`round ${round + 1}: a fresh worker process for every subject that is not profiled`);
        for (const worker of workers) {
          // A profiled subject keeps its one process: one profile, whose calls are its totals.
          if (worker.result.cpuProfile !== undefined) continue;
          await close(worker);
          worker.child = (await start(worker.spec)).child;
          worker.result.processes++;
        }
      }
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
    for (const worker of workers) await close(worker);
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

/** Which of the `processes` equal blocks of rounds `round` falls in (0 first). */
export function processBlockOf(round: number, config: Pick<RoundsConfig, 'rounds' | 'processes'>): number {
  return Math.floor((round * config.processes) / config.rounds);
}

function addTotals(sum: WorkerTotals | undefined, next: WorkerTotals): WorkerTotals {
  if (sum === undefined) return next;
  return {
    calls: sum.calls + next.calls,
    cpuMicros: sum.cpuMicros + next.cpuMicros,
    droppedSpans: sum.droppedSpans + next.droppedSpans,
    exportErrors: sum.exportErrors + next.exportErrors,
  };
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
