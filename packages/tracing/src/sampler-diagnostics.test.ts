import { diag } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { initTracing, startClientAttemptSpan, type Tracing } from './index.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

let tracing: Tracing | undefined;
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  vi.restoreAllMocks();
});

const CALL = { system: 'grpc', service: 'shop.catalog.v1.CatalogService', method: 'GetProduct' } as const;

describe('OTEL_TRACES_SAMPLER diagnostics', () => {
  it('report nothing for a valid ALWAYS_OFF in upper case (before: "invalid, defaulting to parentbased_always_on")', () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'ALWAYS_OFF');
    const errors: string[] = [];
    vi.spyOn(diag, 'error').mockImplementation((message) => void errors.push(String(message)));
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    // What initTracing really does: nothing is sampled.
    expect(startClientAttemptSpan(CALL).isRecording()).toBe(false);
    // What the operator is told on the diag channel must not contradict it.
    expect(errors).toEqual([]);
  });

  it('report nothing for a mixed-case OTEL_TRACES_SAMPLER when sampleRatio is given in code', () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'ParentBased_TraceIdRatio');
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0.1');
    const errors: string[] = [];
    vi.spyOn(diag, 'error').mockImplementation((message) => void errors.push(String(message)));
    tracing = initTracing({ serviceName: 'gateway', exporter: 'memory', sampleRatio: 0 });
    expect(startClientAttemptSpan(CALL).isRecording()).toBe(false);
    expect(errors).toEqual([]);
  });
});
