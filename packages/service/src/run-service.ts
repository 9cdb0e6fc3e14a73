import type { RunningService } from './running-service.js';
import type { ServiceOptions } from './service-options.js';
import { startService } from './start-service.js';

/**
 * For a service's main module: starts it, and when starting fails (bad configuration, port in
 * use, registry unreachable) prints one clear line naming the problem and exits non-zero, with no
 * stack trace.
 *
 * @example
 * ```ts
 * await runService({ name: 'catalog', grpc: { services: [...] } });
 * ```
 */
export async function runService(options: ServiceOptions): Promise<RunningService> {
  try {
    return await startService(options);
  } catch (error) {
    const name = typeof options?.name === 'string' ? options.name : 'service';
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `${name}: failed to start: ${code ? `${String(code)}: ` : ''}${(error as Error).message ?? String(error)}\n`,
    );
    process.exit(1);
  }
}
