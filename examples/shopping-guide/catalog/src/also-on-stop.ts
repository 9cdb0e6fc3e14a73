import type { RunningService } from '@switchyard/service';

/**
 * Makes `service.stop()` also release what the service owns beside the SDK (a Redis connection, a
 * timer) once the service has stopped. On SIGTERM the SDK stops and exits the process, which
 * releases them anyway; this matters for tests and for several services in one process.
 */
export function alsoOnStop(service: RunningService, cleanup: () => Promise<void> | void): RunningService {
  const stop = service.stop;
  let stopping: Promise<void> | undefined;
  Object.defineProperty(service, 'stop', {
    value: (): Promise<void> => {
      stopping ??= stop().finally(cleanup);
      return stopping;
    },
  });
  return service;
}
