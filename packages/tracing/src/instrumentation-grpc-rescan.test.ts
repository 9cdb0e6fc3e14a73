import { createRequire } from 'node:module';
import { afterEach, expect, it, vi } from 'vitest';
import { instrumentationGrpcActive } from './index.js';
import { resetInstrumentationGrpcDetection } from './instrumentation-grpc-active.js';

const require = createRequire(import.meta.url);

afterEach(() => {
  vi.useRealTimers();
  resetInstrumentationGrpcDetection();
});

it('looks for @grpc/grpc-js again when the clock stepped back from the time of its last look', () => {
  // The one module cache of the process, where the detection finds loaded copies of @grpc/grpc-js.
  const cache = require.cache;
  const path = require.resolve('@grpc/grpc-js');
  const loaded = cache[path];
  delete cache[path];
  try {
    resetInstrumentationGrpcDetection();
    vi.useFakeTimers({ now: Date.UTC(2100, 0, 1) });
    expect(instrumentationGrpcActive()).toBe(false); // nothing loaded; the next look is due in 2100
    vi.useRealTimers();
    // Now loaded, and patched by @opentelemetry/instrumentation-grpc (a shimmer wrapper).
    const makeUnaryRequest = Object.assign(() => {}, { __wrapped: true, __original: () => {} });
    class Client {}
    Object.assign(Client.prototype, { makeUnaryRequest });
    cache[path] = { exports: { Client } } as unknown as NodeJS.Module;
    expect(instrumentationGrpcActive()).toBe(true);
  } finally {
    if (loaded) cache[path] = loaded;
    else delete cache[path];
  }
});
