import type { RunningService } from './running-service.js';
import type { ServiceOptions } from './service-options.js';
import { stopRunningServices } from './process-signals.js';
import { startService } from './start-service.js';

/**
 * For a service's main module: starts it, and when starting fails (bad configuration, port in
 * use, registry unreachable) prints one clear line naming the problem and exits non-zero, with no
 * stack trace. Services this process runs already (one a start function started before it failed)
 * are stopped first, deregistered as on SIGTERM, rather than left registered for a closed port.
 *
 * @example
 * ```ts
 * await runService({ name: 'catalog', grpc: { services: [...] } });
 * ```
 */
export async function runService(options: ServiceOptions): Promise<RunningService>;
/** The same, for a service started by its own function (one that calls startService and adds clients). */
export async function runService(start: () => Promise<RunningService>, name: string): Promise<RunningService>;
export async function runService(
  optionsOrStart: ServiceOptions | (() => Promise<RunningService>),
  startName?: string,
): Promise<RunningService> {
  try {
    return await (typeof optionsOrStart === 'function' ? optionsOrStart() : startService(optionsOrStart));
  } catch (error) {
    const name =
      startName ??
      (typeof optionsOrStart === 'object' && typeof optionsOrStart?.name === 'string'
        ? optionsOrStart.name
        : 'service');
    // `?? {}`: a start function may reject with undefined or null, which must not crash this line.
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    process.stderr.write(`${name}: failed to start: ${code ? `${String(code)}: ` : ''}${message ?? String(error)}\n`);
    // A start function may have started a service before it failed: exiting at once left it listed
    // as up until its lease ran out. (A failed startService() has cleaned up after itself.)
    const stopping = stopRunningServices();
    if (stopping) await stopping;
    process.exit(1);
  }
}
