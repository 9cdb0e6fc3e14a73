import type { Logger } from '@switchyard/core';

/** A running service's graceful stop, as the process's signal handling sees it. */
interface Stoppable {
  stop(): Promise<void>;
  logger: Logger;
}

interface SignalState {
  running: Set<Stoppable>;
  /** Starts under way (startService before it resolves): a signal waits for them, then stops what they started. */
  starting: Set<Promise<unknown>>;
  handlersOn: boolean;
  received: number;
  stoppingAll: boolean;
  /** Starts that failed while a signal's stop waited for them, each with its service's logger. */
  failedStarts: { logger: Logger; error: unknown }[];
  /** A main module failed to start (runService, see stopRunningServices): the exit is 1 whatever stops. */
  mainFailed?: boolean;
  /**
   * The logger of each start under way, to report signals that come while no service runs yet.
   * Beside `starting`, not in it, and optional: state a copy of an older version made has none.
   */
  startLoggers?: Map<Promise<unknown>, Logger>;
  onSignal: (signal: NodeJS.Signals) => void;
}

// On globalThis, like the tracing registry: two loaded copies of this package (ESM and CJS) would
// otherwise each install a handler, and whichever finished first would exit the process.
const STATE_KEY = Symbol.for('switchyard.service.signals');

function state(): SignalState {
  const holder = globalThis as { [STATE_KEY]?: SignalState };
  holder[STATE_KEY] ??= {
    running: new Set(),
    starting: new Set(),
    handlersOn: false,
    received: 0,
    stoppingAll: false,
    failedStarts: [],
    onSignal,
  };
  return holder[STATE_KEY];
}

/**
 * On SIGTERM or SIGINT, stops every service of this process that registered here, together, and
 * exits once all have stopped (1 if any failed); a service started while they stop is stopped too.
 * One handler for the process: with one per service, the first to finish exited the process while
 * the others were still draining (they never deregistered or ran onStop). A repeat signal is only
 * logged; the third exits at once, for whoever really means it. Returns what takes the service off
 * the list (when it stopped by itself).
 */
export function stopOnSignals(service: Stoppable): () => void {
  const current = state();
  current.running.add(service);
  handlersOn(current);
  return () => {
    current.running.delete(service);
    handlersOffIfIdle(current);
  };
}

/**
 * Takes part in signal handling while a service starts: a SIGTERM during the start (a pod deleted
 * during a rollout, while register() waits on a slow Redis) no longer kills the process with
 * Node's default action, leaving an entry registered for a port that is gone until its TTL. The
 * signal waits for the start: what it started is then stopped (deregistered, onStop run) before
 * the process exits; a start that fails has cleaned up after itself, and the process then exits 1,
 * its error logged to `logger`.
 */
export function stopOnSignalsOnceStarted(start: Promise<unknown>, logger: Logger): void {
  const current = state();
  current.starting.add(start);
  current.startLoggers ??= new Map();
  current.startLoggers.set(start, logger);
  handlersOn(current);
  const settled = (): void => {
    current.starting.delete(start);
    current.startLoggers?.delete(start);
    handlersOffIfIdle(current);
  };
  start.then(settled, (error: unknown) => {
    // Only a failure the signal's stop waited for: one before the signal was its caller's to
    // handle (the caller may have retried and be serving now).
    if (current.stoppingAll) current.failedStarts.push({ logger, error });
    settled();
  });
}

function handlersOn(current: SignalState): void {
  if (current.handlersOn) return;
  current.handlersOn = true;
  process.on('SIGTERM', current.onSignal);
  process.on('SIGINT', current.onSignal);
}

function handlersOffIfIdle(current: SignalState): void {
  // While a signal's stop is under way the handlers stay: a second signal must not find none
  // (Node's default would exit at once, cutting the calls in flight).
  if (!current.handlersOn || current.running.size > 0 || current.starting.size > 0 || current.stoppingAll) return;
  current.handlersOn = false;
  process.off('SIGTERM', current.onSignal);
  process.off('SIGINT', current.onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  const current = state();
  // A starting service's logger when none runs yet: a signal during a start (a pod deleted while
  // register() waits) was not logged at all, the second one either, and a third exited 1 unexplained.
  const starting = current.running.size === 0 ? current.startLoggers?.values().next().value : undefined;
  const logger = [...current.running][0]?.logger ?? starting;
  current.received++;
  if (current.received === 3) {
    logger?.warn({ signal }, 'third signal while stopping: exiting now');
    process.exit(1);
  }
  if (current.received > 1) {
    logger?.info({ signal }, 'already stopping gracefully (a third signal exits at once)');
    return;
  }
  current.stoppingAll = true;
  // Once started, each service logs it as it stops (see stopAll).
  starting?.info({ signal }, 'received signal while starting; stopping once started');
  void stopAll(current, signal).then((failed) => process.exit(failed || current.mainFailed ? 1 : 0));
}

/**
 * Stops every service of this process that handles signals, together, as a signal would: for
 * runService, which then exits 1 because its start failed. A start function that failed after its
 * startService() had resolved (making a client, reaching a database) used to exit at once, leaving
 * that service registered, listed `up` for a port about to close, until its lease ran out (and a
 * crash-looping pod one such entry per restart). Resolves once all have stopped, failed or not; a
 * signal's stop under way meanwhile exits 1 too. Undefined, not a promise, when none runs: the
 * caller then exits at once, as it did (before a signal's stop would log its failure a second time).
 */
export function stopRunningServices(): Promise<void> | undefined {
  const current = state();
  current.mainFailed = true;
  if (current.running.size === 0) return undefined;
  return Promise.allSettled([...current.running].map((service) => service.stop())).then(() => undefined);
}

/**
 * Stops every registered service, and any registered meanwhile; whether any stop failed, or any
 * start the signal waited for failed.
 */
async function stopAll(current: SignalState, signal: NodeJS.Signals): Promise<boolean> {
  const stopped = new Set<Stoppable>();
  let failed = false;
  for (;;) {
    const batch = [...current.running].filter((service) => !stopped.has(service));
    if (batch.length === 0) {
      if (current.starting.size === 0) return reportFailedStarts(current, signal) || failed;
      // A service still starting joins `running` as its start resolves (or cleans up if it fails).
      await Promise.allSettled([...current.starting]);
      continue;
    }
    for (const service of batch) {
      stopped.add(service);
      service.logger.info({ signal }, 'received signal; stopping gracefully');
    }
    const outcomes = await Promise.allSettled(batch.map((service) => service.stop()));
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'rejected') {
        failed = true;
        (batch[index] as Stoppable).logger.error({ err: outcome.reason }, 'graceful stop failed');
      }
    });
  }
}

/**
 * Logs the starts that failed while the signal's stop waited for them; whether there were any.
 * Such a start rejected to its caller, but the process exits here, with 0 it hid the failure from
 * the supervisor (the caller's `process.exitCode = 1` overridden, an unhandled top-level rejection
 * never reported). Logged here, after the caller's own handling had its turn (runService has exited
 * 1 with its line by then), since an exit now may cut a report the caller was still writing.
 */
function reportFailedStarts(current: SignalState, signal: NodeJS.Signals): boolean {
  for (const { logger, error } of current.failedStarts) {
    try {
      logger.error({ err: error, signal }, 'failed to start while stopping on a signal; exiting 1');
    } catch {
      // A logger that throws (the start may have failed refusing it) must not keep the process up.
    }
  }
  return current.failedStarts.length > 0;
}
