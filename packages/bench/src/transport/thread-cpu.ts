import { readFileSync } from 'node:fs';

/**
 * CPU time the calling thread has run, in microseconds, from the kernel's scheduler statistics
 * (`/proc/thread-self/schedstat`, nanoseconds); `undefined` where there are none (not Linux).
 *
 * Why: `process.cpuUsage()` sums every thread of the process. A traced client's cost lands on its
 * main thread (spans, encoding), its OTLP exporting thread (sending) and V8's helper threads
 * (garbage collection), and only the first holds up its calls. Node 20 has no per-thread CPU
 * clock of its own (`process.threadCpuUsage()` came in Node 23.9).
 */
export function threadCpuMicros(): number | undefined {
  try {
    const nanoseconds = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    return Number.isFinite(nanoseconds) ? nanoseconds / 1_000 : undefined;
  } catch {
    return undefined;
  }
}
