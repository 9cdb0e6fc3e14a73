import { DiagLogLevel, diag } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { closedLoop } from '../load.js';
import { GcPauses } from './gc-pauses.js';
import { threadCpuMicros } from './thread-cpu.js';
import type { RunSample, SubjectSettings, Target, WorkerReply, WorkerRequest } from './protocol.js';

/** One way of making the benchmark's call, set up inside a client worker. */
export interface ClientSubject {
  /** One call, resolved with the response; rejects on any failure (which fails the benchmark). */
  call: () => Promise<unknown>;
  /** Traced subjects: exports every span still batched, so none is exported during another subject's run. */
  flush?: () => Promise<void>;
  close: () => Promise<void>;
  /** Facts checked at setup, for the report (e.g. "grpc-js Client.prototype.makeUnaryRequest is wrapped"). */
  notes?: string[];
}

export type SubjectFactory = (id: string, target: Target, settings: SubjectSettings) => Promise<ClientSubject>;

/** OpenTelemetry's diag reports the batch processor's dropped spans and failed exports; they are counted. */
const diagCounts = { droppedSpans: 0, errors: 0 };

function countDiagnostics(): void {
  const print = (level: string, message: string, args: unknown[]): void => {
    process.stderr.write(`[otel ${level}] ${message} ${args.map((arg) => String(arg)).join(' ')}\n`);
  };
  diag.setLogger(
    {
      error: (message, ...args) => {
        // Printed only the first few times: a dead collector would otherwise flood the output.
        if (diagCounts.errors++ < 3) print('error', message, args);
      },
      warn: (message, ...args) => {
        const dropped = /Dropped (\d+) spans/.exec(message);
        if (dropped) diagCounts.droppedSpans += Number(dropped[1]);
        else print('warn', message, args);
      },
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/**
 * The client-worker side of the transport benchmarks: answers `setup` (build the subject, warm it
 * up), `run` (one closed loop at a concurrency, with CPU and latency) and `close`, one at a time.
 */
export function serveWorker(createSubject: SubjectFactory): void {
  countDiagnostics();
  const gc = new GcPauses();
  let subject: ClientSubject | undefined;
  let calls = 0;

  const run = async (concurrency: number, durationMs: number): Promise<RunSample> => {
    if (!subject) throw new Error('run before setup');
    const { call, flush } = subject;
    const dropped = diagCounts.droppedSpans;
    const errors = diagCounts.errors;
    const gcBefore = await gc.totalPauseMs();
    const cpu = process.cpuUsage();
    const mainThreadCpu = threadCpuMicros();
    const loop = performance.eventLoopUtilization();
    const result = await closedLoop({ concurrency, durationMs, operation: () => call() });
    await flush?.();
    const used = process.cpuUsage(cpu);
    const mainThreadCpuAfter = threadCpuMicros();
    const loopBusy = performance.eventLoopUtilization(loop);
    const gcMicros = ((await gc.totalPauseMs()) - gcBefore) * 1_000;
    calls += result.operations;
    return {
      concurrency,
      operations: result.operations,
      elapsedMs: result.elapsedMs,
      callsPerSecond: result.opsPerSecond,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      clientCpuMicrosPerCall: (used.user + used.system) / result.operations,
      clientMainThreadCpuMicrosPerCall:
        mainThreadCpu === undefined || mainThreadCpuAfter === undefined
          ? null
          : (mainThreadCpuAfter - mainThreadCpu) / result.operations,
      clientGcMicrosPerCall: gcMicros / result.operations,
      clientLoopMicrosPerCall: (loopBusy.active * 1_000) / result.operations,
      droppedSpans: diagCounts.droppedSpans - dropped,
      exportErrors: diagCounts.errors - errors,
    };
  };

  const handle = async (request: WorkerRequest): Promise<WorkerReply> => {
    switch (request.type) {
      case 'setup': {
        const started = performance.now();
        subject = await createSubject(request.subject, request.target, request.settings);
        for (const step of request.warmup) await run(step.concurrency, step.durationMs);
        return { type: 'ready', setupMs: performance.now() - started, notes: subject.notes ?? [] };
      }
      case 'run':
        return { type: 'run', sample: await run(request.concurrency, request.durationMs) };
      case 'close': {
        // Closing a traced subject shuts its tracing down, which exports the last spans.
        await subject?.close();
        subject = undefined;
        // Leave on our own (so --cpu-prof writes its profile), once the reply is out.
        setImmediate(() => process.disconnect());
        const cpu = process.cpuUsage();
        return {
          type: 'closed',
          totals: {
            calls,
            cpuMicros: cpu.user + cpu.system,
            droppedSpans: diagCounts.droppedSpans,
            exportErrors: diagCounts.errors,
          },
        };
      }
    }
  };

  process.on('message', (request: WorkerRequest) => {
    handle(request).then(
      (reply) => process.send?.(reply),
      (error: unknown) =>
        process.send?.({
          type: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies WorkerReply),
    );
  });
}
