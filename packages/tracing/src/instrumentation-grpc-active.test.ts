import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initTracing, instrumentationGrpcActive, type Tracing, tracingActive } from './index.js';
import { resetInstrumentationGrpcDetection } from './instrumentation-grpc-active.js';

const require = createRequire(import.meta.url);

afterEach(async () => {
  vi.unstubAllEnvs();
  // initTracing/shutdown make the detection read its switch and look for @grpc/grpc-js again.
  await initTracing({ serviceName: 'test', exporter: 'none' }).shutdown();
});

describe('instrumentationGrpcActive', () => {
  it('follows @opentelemetry/instrumentation-grpc being enabled and disabled', async () => {
    const { GrpcInstrumentation } = await import('@opentelemetry/instrumentation-grpc');
    const instrumentation = new GrpcInstrumentation({ enabled: false });
    instrumentation.enable();
    // Patched as it loads (require-in-the-middle): Client.prototype.makeUnaryRequest gets a shimmer wrapper.
    const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
    expect(instrumentationGrpcActive()).toBe(true);
    expect(instrumentationGrpcActive(grpc.Client)).toBe(true);

    instrumentation.disable();
    expect(instrumentationGrpcActive()).toBe(false);
    expect(instrumentationGrpcActive(grpc.Client)).toBe(false);

    instrumentation.enable();
    expect(instrumentationGrpcActive()).toBe(true);
    instrumentation.disable();
  });

  it('detects a shimmer wrapper on a given Client class', () => {
    const original = () => {};
    const wrapped = Object.assign(() => {}, { __wrapped: true, __original: original, __unwrap: () => {} });
    expect(instrumentationGrpcActive(class Client {})).toBe(false);
    expect(instrumentationGrpcActive({ prototype: { makeUnaryRequest: wrapped } })).toBe(true);
  });

  it('obeys SWITCHYARD_INSTRUMENTATION_GRPC over detection', async () => {
    const wrapped = {
      prototype: { makeUnaryRequest: Object.assign(() => {}, { __wrapped: true, __original: () => {} }) },
    };
    vi.stubEnv('SWITCHYARD_INSTRUMENTATION_GRPC', 'off');
    await initTracing({ serviceName: 'test', exporter: 'none' }).shutdown();
    expect(instrumentationGrpcActive(wrapped)).toBe(false);

    vi.stubEnv('SWITCHYARD_INSTRUMENTATION_GRPC', 'on');
    await initTracing({ serviceName: 'test', exporter: 'none' }).shutdown();
    expect(instrumentationGrpcActive(class Client {})).toBe(true);

    vi.stubEnv('SWITCHYARD_INSTRUMENTATION_GRPC', 'sometimes');
    resetInstrumentationGrpcDetection(); // (initTracing would refuse it: see the next test)
    expect(() => instrumentationGrpcActive()).toThrowError(
      /SWITCHYARD_INSTRUMENTATION_GRPC: must be one of auto, on, off/,
    );
  });

  it('makes initTracing refuse a bad SWITCHYARD_INSTRUMENTATION_GRPC, not every traced gRPC call later', async () => {
    vi.stubEnv('SWITCHYARD_INSTRUMENTATION_GRPC', 'sometimes');
    // Before: initTracing started fine and the transports' per-call check threw on each call.
    for (const exporter of ['memory', 'none'] as const) {
      let started: Tracing | undefined;
      let error: unknown;
      try {
        started = initTracing({ serviceName: 'test', exporter });
      } catch (thrown) {
        error = thrown;
      }
      await started?.shutdown();
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'SWITCHYARD_INSTRUMENTATION_GRPC' });
    }
    expect(tracingActive()).toBe(false);
  });

  it('quotes the value as it is set, not lower-cased', () => {
    // The message said got "sometimes" for SWITCHYARD_INSTRUMENTATION_GRPC=SomeTimes: not what the
    // operator set, so the value could not be found by searching the deployment for it.
    vi.stubEnv('SWITCHYARD_INSTRUMENTATION_GRPC', 'SomeTimes');
    expect(() => initTracing({ serviceName: 'test', exporter: 'none' })).toThrowError(/got "SomeTimes"/);
    // Any case of a known value still works.
    vi.stubEnv('SWITCHYARD_INSTRUMENTATION_GRPC', 'OFF');
    resetInstrumentationGrpcDetection();
    expect(instrumentationGrpcActive(class Client {})).toBe(false);
  });
});
