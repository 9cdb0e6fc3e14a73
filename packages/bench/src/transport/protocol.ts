/** Where a client worker sends its calls. */
export interface Target {
  host: string;
  port: number;
}

/** A subject's configuration, sent to its worker. */
export type SubjectSettings = Record<string, string | number | boolean>;

/** What the parent asks a client worker to do; the worker answers each request with one reply. */
export type WorkerRequest =
  | {
      type: 'setup';
      subject: string;
      target: Target;
      /** How the subject is configured (channels, deadline, tracing…), as its benchmark defines. */
      settings: SubjectSettings;
      warmup: { concurrency: number; durationMs: number }[];
    }
  | { type: 'run'; concurrency: number; durationMs: number }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; setupMs: number; notes: string[] }
  | { type: 'run'; sample: RunSample }
  | { type: 'closed'; totals: WorkerTotals }
  | { type: 'error'; message: string };

/** Over a worker's life, warm-up included: to set against the spans an OTLP sink received. */
export interface WorkerTotals {
  calls: number;
  /** `process.cpuUsage()` since the process started (user + system), read when closing. */
  cpuMicros: number;
  droppedSpans: number;
  exportErrors: number;
}

/** One closed-loop run of one subject at one concurrency, measured inside the client worker. */
export interface RunSample {
  concurrency: number;
  operations: number;
  /** From the first call started to the last one settled (calls in flight at the deadline included). */
  elapsedMs: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** `process.cpuUsage()` (user + system, all threads) of the client worker over the run and, for traced
   * subjects, the span flush that follows it, divided by the calls. */
  clientCpuMicrosPerCall: number;
  /**
   * The part of it on the client's main thread (see threadCpuMicros): the rest went to its other
   * threads (the OTLP exporting thread, V8's garbage-collection helpers). `null` where the kernel
   * keeps no per-thread statistics (not Linux).
   */
  clientMainThreadCpuMicrosPerCall: number | null;
  /** Main-thread garbage-collection pauses of the client worker over the same span, per call (part of the CPU above). */
  clientGcMicrosPerCall: number;
  /**
   * The client's main thread: event-loop busy time over the same span, per call (worker threads excluded).
   * Wall clock, not CPU: a busy loop waiting for a core counts, so on a loaded machine it can exceed the CPU.
   */
  clientLoopMicrosPerCall: number;
  /** Spans the batch processor reported dropping (queue full) during the run; 0 when not traced. */
  droppedSpans: number;
  /** OpenTelemetry `diag.error` reports during the run (failed exports); 0 when not traced. */
  exportErrors: number;
}

/** What the parent asks a server child; it answers each with one reply. */
export type ServerRequest = { type: 'cpu' } | { type: 'close' };

export type ServerReply =
  | { type: 'listening'; port: number }
  | { type: 'cpu'; usage: NodeJS.CpuUsage }
  | { type: 'closed' }
  | { type: 'error'; message: string };
