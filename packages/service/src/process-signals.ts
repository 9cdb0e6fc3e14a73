import type { Logger } from '@switchyard/core';

/** A running service's graceful stop, as the process's signal handling sees it. */
interface Stoppable {
  stop(): Promise<void>;
  logger: Logger;
}

const running = new Set<Stoppable>();
let received = 0;
let stoppingAll = false;

/**
 * On SIGTERM or SIGINT, stops every service of this process that registered here, together, and
 * exits once all have stopped (1 if any failed). One handler for the process: with one per
 * service, the first to finish exited the process while the others were still draining (they
 * never deregistered or ran onStop). A repeat signal is only logged; the third exits at once, for
 * whoever really means it. Returns what takes the service off the list (when it stopped by itself).
 */
export function stopOnSignals(service: Stoppable): () => void {
  running.add(service);
  if (running.size === 1 && !stoppingAll) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return () => {
    running.delete(service);
    // While a signal's stop is under way the handlers stay: a second signal must not find none
    // (Node's default would exit at once, cutting the calls in flight).
    if (running.size === 0 && !stoppingAll) removeHandlers();
  };
}

function removeHandlers(): void {
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  const services = [...running];
  const logger = services[0]?.logger;
  received++;
  if (received === 3) {
    logger?.warn({ signal }, 'third signal while stopping: exiting now');
    process.exit(1);
  }
  if (received > 1) {
    logger?.info({ signal }, 'already stopping gracefully (a third signal exits at once)');
    return;
  }
  stoppingAll = true;
  for (const service of services) service.logger.info({ signal }, 'received signal; stopping gracefully');
  Promise.allSettled(services.map((service) => service.stop())).then((outcomes) => {
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    for (const failure of failed)
      logger?.error({ err: (failure as PromiseRejectedResult).reason }, 'graceful stop failed');
    process.exit(failed.length > 0 ? 1 : 0);
  });
}
