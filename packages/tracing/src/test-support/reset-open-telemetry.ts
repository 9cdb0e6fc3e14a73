import { context, propagation, trace } from '@opentelemetry/api';
import { afterEach, vi } from 'vitest';

/**
 * For this package's tests: after each test, `shutdown` (the test's own Tracing, if it made one),
 * then the global OpenTelemetry API state (tracer provider, context manager, propagator) and the
 * stubbed environment are reset, so no test sees another's provider or `OTEL_*` variables.
 */
export function resetOpenTelemetryAfterEach(shutdown: () => Promise<void>): void {
  afterEach(async () => {
    await shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
    vi.unstubAllEnvs();
  });
}
