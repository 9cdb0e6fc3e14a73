import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type MedianInterval, medianInterval, type Spread, spread } from '../stats.js';
import type { PickCostConfig } from './config.js';
import {
  type AllocationSample,
  type PickCostSample,
  type PickWorkerReply,
  type PickWorkerRequest,
  SEMI_SPACE_MIB,
} from './protocol.js';

/** One balancer at one size: ns per operation over the rounds. */
export interface PickCostRow {
  balancer: string;
  instances: number;
  pickAndDoneNs: Spread;
  /** 95 % confidence interval of `pickAndDoneNs.median` (undefined with fewer than 6 runs). */
  pickAndDoneInterval: MedianInterval | undefined;
  pickNs: Spread;
  doneNs: Spread;
  pickerNs: Spread;
}

export interface PickCostResult {
  rows: PickCostRow[];
  allocation: (AllocationSample & { balancer: string })[];
  /** Per balancer: registering the instances, building the views and warming up. */
  setupMs: Record<string, number>;
  /** Every round's samples, per balancer (JSON only). */
  rounds: Record<string, PickCostSample[][]>;
}

/**
 * Starts `processes` workers per balancer (one after another, so setups do not compete for the cores),
 * then runs `rounds` rounds in which every worker measures once, in an order rotated each round, so drift in the
 * machine's load spreads over all balancers instead of landing on one. A balancer's figures pool the
 * rounds of all its processes. Then the allocation check, in each balancer's first process.
 */
export async function measurePickCost(config: PickCostConfig, log: (message: string) => void): Promise<PickCostResult> {
  const workerFile = fileURLToPath(new URL('./pick-worker.js', import.meta.url));
  const workers: PickWorker[] = [];
  const setupMs: Record<string, number> = {};
  try {
    for (let process = 0; process < config.processes; process++) {
      for (const balancer of config.balancers) {
        const worker = new PickWorker(balancer, workerFile);
        workers.push(worker);
        const ready = await worker.request({ type: 'setup', balancer, config }, 'ready');
        setupMs[balancer] = Math.max(setupMs[balancer] ?? 0, ready.setupMs);
        log(
          `${balancer} (process ${process + 1} of ${config.processes}): ready (${config.sizes.join(', ')} instances; ` +
            `${(ready.setupMs / 1_000).toFixed(1)} s setup and warm-up)`,
        );
      }
    }
    const rounds: Record<string, PickCostSample[][]> = Object.fromEntries(config.balancers.map((name) => [name, []]));
    for (let round = 0; round < config.rounds; round++) {
      log(`round ${round + 1} of ${config.rounds}`);
      for (let step = 0; step < workers.length; step++) {
        const worker = workers[(round + step) % workers.length] as PickWorker;
        const { samples } = await worker.request({ type: 'round' }, 'round');
        rounds[worker.balancer]?.push(samples);
      }
    }
    const allocation: PickCostResult['allocation'] = [];
    // The allocation check needs one process per balancer: the first.
    for (const worker of workers.slice(0, config.balancers.length)) {
      log(`${worker.balancer}: allocation check`);
      const { sample } = await worker.request({ type: 'allocation' }, 'allocation');
      allocation.push({ balancer: worker.balancer, ...sample });
    }
    for (const worker of workers) await worker.request({ type: 'close' }, 'closed');
    const rows = config.balancers.flatMap((balancer) =>
      config.sizes.map((instances) => {
        const samples = (rounds[balancer] ?? []).map(
          (round) => round.find((sample) => sample.instances === instances) as PickCostSample,
        );
        return {
          balancer,
          instances,
          pickAndDoneNs: spread(samples.map((sample) => sample.pickAndDoneNs)),
          pickAndDoneInterval: medianInterval(samples.map((sample) => sample.pickAndDoneNs)),
          pickNs: spread(samples.map((sample) => sample.pickNs)),
          doneNs: spread(samples.map((sample) => sample.doneNs)),
          pickerNs: spread(samples.map((sample) => sample.pickerNs)),
        };
      }),
    );
    return { rows, allocation, setupMs, rounds };
  } finally {
    for (const worker of workers) worker.kill();
  }
}

/** A child process running pick-worker.js, answering one request at a time. */
class PickWorker {
  private readonly child: ChildProcess;
  private waiting: { resolve: (reply: PickWorkerReply) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    readonly balancer: string,
    file: string,
  ) {
    this.child = fork(file, [], {
      execArgv: ['--expose-gc', `--min-semi-space-size=${SEMI_SPACE_MIB}`, `--max-semi-space-size=${SEMI_SPACE_MIB}`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: PickWorkerReply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (reply.type === 'error') waiting?.reject(new Error(`${balancer} worker: ${reply.message}`));
      else waiting?.resolve(reply);
    });
    this.child.on('exit', (code, signal) => {
      this.failure = new Error(`${balancer} worker exited (code ${code}, signal ${signal})`);
      this.waiting?.reject(this.failure);
      this.waiting = undefined;
    });
  }

  request<Type extends PickWorkerReply['type']>(
    request: PickWorkerRequest,
    expected: Type,
  ): Promise<Extract<PickWorkerReply, { type: Type }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = {
        resolve: (reply) => {
          if (reply.type === expected) resolve(reply as Extract<PickWorkerReply, { type: Type }>);
          else reject(new Error(`${this.balancer} worker: expected ${expected}, got ${reply.type}`));
        },
        reject,
      };
      this.child.send(request);
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}
