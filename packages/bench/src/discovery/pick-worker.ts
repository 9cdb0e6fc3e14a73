/**
 * Child process of `pnpm bench:discovery`: measures one balancer, so its hot path is compiled for that
 * balancer alone (as in an application that uses one), not for all six the parent compares. The parent
 * sends `setup`, then `round` several times (alternating with the other balancers' workers), then
 * `allocation` and `close`. Runs with `--expose-gc` and a fixed semi-space (see pick-cost.ts).
 */
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { coarseNow, type Endpoint, type PickArgs, type Picker } from '@switchyard/core';
import {
  builtInBalancers,
  type CallOutcome,
  createDiscovery,
  type Discovery,
  EndpointLoad,
  LoadSlab,
  type Lease,
} from '@switchyard/discovery';
import { MemoryRegistry } from '@switchyard/registry';
import type { PickCostConfig } from './config.js';
import type { AllocationSample, PickCostSample, PickWorkerReply, PickWorkerRequest } from './protocol.js';

const SERVICE = 'bench';
/** `discovery.pick()` and `lease.done()` are timed apart over batches of this many picks. */
const BATCH = 256;
/** Distinct maglev keys, cycled (a power of two, so the index is a mask). */
const KEYS = 4_096;
const OK: CallOutcome = Object.freeze({ ok: true, latencyMs: 1 });
const NO_KEY: PickArgs = Object.freeze({});
/** Picks of the allocation probe: under 100 B each, they fit the fixed semi-space without a scavenge. */
const PROBE_PICKS = 50_000;

/** Everything measured at one size. Operation counts come from the warm-up, so each run lasts about `runMs`. */
interface SizeSubject {
  instances: number;
  registry: MemoryRegistry;
  discovery: Discovery;
  picker: Picker;
  /** Arguments cycled through by index: keys for maglev, one `undefined` (no arguments) otherwise. */
  discoveryArgs: readonly (PickArgs | undefined)[];
  pickerArgs: readonly PickArgs[];
  operations: { pickAndDone: number; split: number; picker: number };
}

let config: PickCostConfig;
let subjects: SizeSubject[] = [];

function reply(message: PickWorkerReply): void {
  process.send?.(message);
}

process.on('message', (request: PickWorkerRequest) => {
  handle(request).then(reply, (error: unknown) =>
    reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});

async function handle(request: PickWorkerRequest): Promise<PickWorkerReply> {
  switch (request.type) {
    case 'setup': {
      const started = performance.now();
      config = request.config;
      for (const instances of config.sizes) subjects.push(await createSubject(request.balancer, instances));
      for (const subject of subjects) warmUp(subject);
      return { type: 'ready', setupMs: performance.now() - started };
    }
    case 'round':
      return { type: 'round', samples: subjects.map(measure) };
    case 'allocation':
      return { type: 'allocation', sample: await allocation() };
    case 'close':
      for (const subject of subjects) {
        await subject.discovery.close();
        await subject.registry.close();
      }
      subjects = [];
      setImmediate(() => process.disconnect());
      return { type: 'closed' };
  }
}

async function createSubject(balancer: string, instances: number): Promise<SizeSubject> {
  const registry = new MemoryRegistry();
  // Registered before discovery starts, so its first snapshot has them all (one pipeline run, not N).
  for (let index = 0; index < instances; index++) {
    await registry.register({ id: `bench-${index}`, service: SERVICE, host: '10.0.0.1', ports: { grpc: 50_051 } });
  }
  const discovery = createDiscovery({ registry, service: SERVICE, balancer });
  await discovery.ready({ timeoutMs: 10_000 });
  const view = discovery.instances();
  if (view.length !== instances) throw new Error(`${balancer}: view has ${view.length} of ${instances} instances`);
  // The same endpoints, bare: what the balancer's picker costs without discovery's lease bookkeeping.
  // Their loads share one slab, as discovery's do (a slab per endpoint would take p2c-ewma's slow path).
  const slab = new LoadSlab(10_000, instances);
  const endpoints: Endpoint[] = view.map((instance) => {
    const stats = new EndpointLoad(10_000, coarseNow, slab);
    stats.record(1, Date.now());
    return { instance, weight: instance.weight, stats };
  });
  const keyed = balancer === 'maglev' || balancer === 'ring-hash';
  const keys: PickArgs[] = keyed
    ? Array.from({ length: KEYS }, (_, index) => Object.freeze({ key: `user-${index}` }))
    : [];
  return {
    instances,
    registry,
    discovery,
    picker: builtInBalancers().create(balancer).createPicker(endpoints),
    discoveryArgs: keyed ? keys : [undefined],
    pickerArgs: keyed ? keys : [NO_KEY],
    operations: { pickAndDone: 0, split: 0, picker: 0 },
  };
}

/** `discovery.pick(args).done(OK)` `operations` times; ns per operation. */
function timePickAndDone(subject: SizeSubject, operations: number): number {
  const { discovery, discoveryArgs } = subject;
  const mask = discoveryArgs.length - 1;
  const started = performance.now();
  for (let index = 0; index < operations; index++) discovery.pick(discoveryArgs[index & mask]).done(OK);
  return ((performance.now() - started) * 1e6) / operations;
}

/** Picks timed apart from their `done()` calls, over batches of {@link BATCH}; ns per pick and per done. */
function timeSplit(subject: SizeSubject, operations: number): { pickNs: number; doneNs: number } {
  const { discovery, discoveryArgs } = subject;
  const mask = discoveryArgs.length - 1;
  const leases: Lease[] = new Array(BATCH);
  let pickMs = 0;
  let doneMs = 0;
  for (let first = 0; first < operations; first += BATCH) {
    const started = performance.now();
    for (let index = 0; index < BATCH; index++) leases[index] = discovery.pick(discoveryArgs[(first + index) & mask]);
    const picked = performance.now();
    for (let index = 0; index < BATCH; index++) (leases[index] as Lease).done(OK);
    const finished = performance.now();
    pickMs += picked - started;
    doneMs += finished - picked;
  }
  return { pickNs: (pickMs * 1e6) / operations, doneNs: (doneMs * 1e6) / operations };
}

/** The bare picker; ns per pick. */
function timePicker(subject: SizeSubject, operations: number): number {
  const { picker, pickerArgs } = subject;
  const mask = pickerArgs.length - 1;
  let total = 0;
  const started = performance.now();
  for (let index = 0; index < operations; index++) {
    total += (picker.pick(pickerArgs[index & mask] as PickArgs) as Endpoint).weight;
  }
  const elapsedMs = performance.now() - started;
  // Uses the picks, so the compiler cannot drop them as unused.
  if (!(total > 0)) throw new Error('picker returned endpoints without weight');
  return (elapsedMs * 1e6) / operations;
}

/**
 * Runs each measurement for about `warmUpMs` (the JIT compiles the loops and the code under test), then
 * sizes the timed runs from the last warm-up speed: about `runMs` each, a whole number of batches.
 */
function warmUp(subject: SizeSubject): void {
  const calibrate = (time: (operations: number) => number): number => {
    let operations = BATCH * 4;
    let nsPerOperation = 0;
    const until = performance.now() + config.warmupMs;
    do {
      nsPerOperation = time(operations);
      if (nsPerOperation * operations < 10e6) operations *= 2;
    } while (performance.now() < until);
    return Math.max(BATCH, Math.round((config.runMs * 1e6) / nsPerOperation / BATCH) * BATCH);
  };
  subject.operations = {
    pickAndDone: calibrate((operations) => timePickAndDone(subject, operations)),
    split: calibrate((operations) => {
      const { pickNs, doneNs } = timeSplit(subject, operations);
      return pickNs + doneNs;
    }),
    picker: calibrate((operations) => timePicker(subject, operations)),
  };
}

function measure(subject: SizeSubject): PickCostSample {
  const pickAndDoneNs = timePickAndDone(subject, subject.operations.pickAndDone);
  const { pickNs, doneNs } = timeSplit(subject, subject.operations.split);
  const pickerNs = timePicker(subject, subject.operations.picker);
  return { instances: subject.instances, pickAndDoneNs, pickNs, doneNs, pickerNs };
}

/**
 * Heap after a forced full GC, before and after many pick + done calls at the allocation size: leases
 * are garbage at once, so the heap must not grow. Then the bytes each pick allocates, measured exactly:
 * new-space usage before and after a probe short enough to fit the fixed semi-space, so no scavenge
 * runs in between (checked).
 */
async function allocation(): Promise<AllocationSample> {
  const subject = subjects.find((candidate) => candidate.instances === config.allocationSize);
  if (!subject) throw new Error(`no subject with ${config.allocationSize} instances`);
  const nsPerPick = timePickAndDone(subject, subject.operations.pickAndDone);
  const picks = Math.max(
    BATCH,
    Math.min(config.allocationPicks, Math.floor((config.allocationBudgetMs * 1e6) / nsPerPick)),
  );
  const probePicks = Math.min(PROBE_PICKS, picks);
  const gcs = observeGcs();
  fullGc();
  const heapBeforeBytes = process.memoryUsage().heapUsed;
  const picking = gcs.window();
  timePickAndDone(subject, picks);
  picking.end();
  fullGc();
  const heapAfterBytes = process.memoryUsage().heapUsed;
  fullGc();
  const probeBefore = process.memoryUsage().heapUsed;
  const probing = gcs.window();
  timePickAndDone(subject, probePicks);
  probing.end();
  const probeAfter = process.memoryUsage().heapUsed;
  await gcs.flush();
  if (probing.minor + probing.major > 0) throw new Error('a GC ran during the allocation probe; lower PROBE_PICKS');
  return {
    instances: subject.instances,
    picks,
    heapBeforeBytes,
    heapAfterBytes,
    minorGcs: picking.minor,
    majorGcs: picking.major,
    probePicks,
    allocatedBytesPerPick: (probeAfter - probeBefore) / probePicks,
  };
}

/** Counts GCs (from perf_hooks `gc` entries) that start inside windows of time. */
function observeGcs(): {
  window(): { minor: number; major: number; end(): void };
  flush(): Promise<void>;
} {
  const windows: { from: number; to: number; counts: { minor: number; major: number } }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { detail } = entry as { detail?: { kind?: number } };
      for (const window of windows) {
        if (entry.startTime < window.from || entry.startTime > window.to) continue;
        if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) window.counts.minor++;
        else window.counts.major++;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    window() {
      const window = { from: performance.now(), to: Number.POSITIVE_INFINITY, counts: { minor: 0, major: 0 } };
      windows.push(window);
      return {
        get minor() {
          return window.counts.minor;
        },
        get major() {
          return window.counts.major;
        },
        end() {
          window.to = performance.now();
        },
      };
    },
    // GC entries are delivered asynchronously.
    flush: () =>
      new Promise((resolve) =>
        setTimeout(() => {
          observer.disconnect();
          resolve();
        }, 50),
      ),
  };
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the pick worker needs node --expose-gc');
  // Twice: the first run can leave objects that only the second finds unreachable (weak callbacks).
  gc();
  gc();
}
