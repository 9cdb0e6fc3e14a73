import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  currentTracing,
  extractTraceContext,
  getBaggageEntry,
  initTracing,
  injectTraceContext,
  type Tracing,
  withBaggageEntry,
} from '@switchyard/tracing';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  anyValue,
  describeError,
  edgyString,
  expectInvalidArgument,
  mostly,
  optional,
  runs,
  show,
  someOf,
  strip,
} from './support/arbitraries.js';
import { settle, trackUncaughtExceptions, trackUnhandledRejections } from './support/unhandled.js';
import { withEnv } from './support/with-env.js';

const unhandled = trackUnhandledRejections();
let uncaught: ReturnType<typeof trackUncaughtExceptions>;
/** A stand-in OTLP collector: counts export requests (any path, any protocol) and answers 200. */
let collector: Server;
let collectorUrl: string;
let exportsReceived = 0;
const consoleDir = console.dir;

beforeAll(async () => {
  uncaught = trackUncaughtExceptions();
  // The console exporter prints every span: not in the test output.
  console.dir = () => undefined;
  collector = createServer((request, response) => {
    request.resume();
    request.once('end', () => {
      exportsReceived++;
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  console.dir = consoleDir;
  await new Promise<void>((resolve) => {
    collector?.close(() => resolve());
    collector?.closeAllConnections();
  });
  await settle(50);
  unhandled.stop();
  uncaught.stop();
  expect(unhandled.reasons.map(describeError)).toEqual([]);
  expect(uncaught.errors.map(describeError)).toEqual([]);
});
afterEach(async () => {
  // A failed run must not leave its setup registered for the next test.
  await currentTracing()?.shutdown();
});

/** `promise`, or a rejection saying it hung. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An environment value: as given, with blanks around it, or odd text. */
const envText = (valid: fc.Arbitrary<string>) =>
  mostly(
    valid,
    valid.map((value) => ` ${value.toUpperCase()} `),
    fc.constantFrom('', ' ', ',', 'none', 'x'),
    fc.string({ maxLength: 12 }),
  ) as fc.Arbitrary<string>;
const listOf = (names: string[]) =>
  fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map((items) => items.join(','));
const numberText = (valid: fc.Arbitrary<number>) =>
  mostly(
    valid.map(String),
    fc.constantFrom('0', '-1', '0.5', '1e3', '0x10', 'NaN', 'Infinity', '-Infinity', '1e400', '9999999999', 'abc', ''),
  ) as fc.Arbitrary<string>;
/** The endpoint variables: the collector (so OTLP is checkable), or text that is no usable URL. */
const endpointText = mostly(
  fc.constant('COLLECTOR'),
  fc.constantFrom(
    'not a url',
    'localhost:4318',
    '127.0.0.1:4318',
    'http://',
    '://x',
    'http://[::1',
    'ftp://127.0.0.1/x',
    'file:///tmp/x',
    ' ',
    '',
  ),
) as fc.Arbitrary<string>;

/** Every variable initTracing (or the SDK under it) reads that the property sets. */
const ENV_VARIABLES = {
  OTEL_SERVICE_NAME: envText(fc.constantFrom('env-svc', 'a')),
  OTEL_RESOURCE_ATTRIBUTES: envText(
    fc.constantFrom(
      'service.name=res-svc',
      'deployment.environment=dev,team=x',
      'service.name=%zz',
      'k=%E2%82',
      '=,=,',
    ),
  ),
  OTEL_SDK_DISABLED: envText(fc.constantFrom('true', 'false')),
  OTEL_TRACES_EXPORTER: envText(
    fc.oneof(
      listOf(['otlp', 'console', 'none']),
      fc.constantFrom('zipkin', 'jaeger', 'memory', 'otlp,none', 'logging'),
    ),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: endpointText,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpointText,
  OTEL_EXPORTER_OTLP_PROTOCOL: envText(fc.constantFrom('http/protobuf', 'http/json', 'grpc', 'http')),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: envText(fc.constantFrom('http/protobuf', 'http/json', 'grpc')),
  OTEL_EXPORTER_OTLP_TIMEOUT: numberText(fc.integer({ min: 100, max: 5_000 })),
  OTEL_EXPORTER_OTLP_COMPRESSION: envText(fc.constantFrom('none', 'gzip', 'br')),
  OTEL_EXPORTER_OTLP_HEADERS: envText(fc.constantFrom('a=b', 'a=b,c', '=', 'x=%zz')),
  OTEL_TRACES_SAMPLER: envText(
    fc.constantFrom(
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
      'jaeger_remote',
      'xray',
    ),
  ),
  OTEL_TRACES_SAMPLER_ARG: numberText(fc.double({ min: 0, max: 1, noNaN: true })),
  OTEL_PROPAGATORS: envText(
    fc.oneof(listOf(['tracecontext', 'baggage', 'none']), fc.constantFrom('b3', 'b3multi', 'jaeger', 'xray', 'foo')),
  ),
  OTEL_BSP_SCHEDULE_DELAY: numberText(fc.integer({ min: 0, max: 50 })),
  OTEL_BSP_EXPORT_TIMEOUT: numberText(fc.integer({ min: 1_000, max: 5_000 })),
  OTEL_BSP_MAX_QUEUE_SIZE: numberText(fc.integer({ min: 1, max: 4_096 })),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: numberText(fc.integer({ min: 1, max: 512 })),
  OTEL_SEMCONV_STABILITY_OPT_IN: envText(fc.constantFrom('http', 'http/dup', 'rpc', 'http,rpc', 'database')),
  SWITCHYARD_INSTRUMENTATION_GRPC: envText(fc.constantFrom('auto', 'on', 'off')),
};
const environment = fc
  .record(ENV_VARIABLES)
  .chain((all) => someOf(all, 5))
  .map((env) => {
    // OTLP goes to the collector unless the run sets an endpoint of its own: with none it goes to
    // localhost:4318, where nothing listens, and no span could arrive to show the setup works.
    const resolved: Record<string, string> =
      'OTEL_EXPORTER_OTLP_ENDPOINT' in env || 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' in env
        ? {}
        : { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collectorUrl}/v1/traces` };
    for (const [name, value] of Object.entries(env)) {
      if (value === 'COLLECTOR') {
        resolved[name] = name.includes('TRACES') ? `${collectorUrl}/v1/traces` : collectorUrl;
      } else resolved[name] = value;
    }
    return resolved;
  });
const tracingOptions = mostly(
  fc
    .record({
      serviceName: mostly(fc.constantFrom('fuzz', 'catalog'), fc.constant(undefined), edgyString, anyValue),
      serviceVersion: optional(mostly(fc.constant('1.0.0'), edgyString, anyValue)),
      exporter: optional(
        mostly(fc.constantFrom('memory', 'none', 'otlp'), fc.constant('console'), edgyString, anyValue),
      ),
      sampleRatio: optional(mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double(), anyValue)),
      resourceAttributes: optional(
        mostly(
          fc.dictionary(fc.stringMatching(/^[a-z][a-z.]{0,10}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
          fc.constant({ 'service.name': 'x' }),
          fc.dictionary(fc.string({ maxLength: 6 }), anyValue, { maxKeys: 2 }),
          anyValue,
        ),
      ),
      batch: optional(mostly(fc.boolean(), anyValue)),
    })
    .map(strip)
    .chain((options) =>
      fc.oneof(
        { arbitrary: fc.constant(options as Record<string, unknown>), weight: 15 },
        fc.tuple(fc.string({ maxLength: 8 }), anyValue).map(([key, value]) => ({ ...options, [key]: value })),
      ),
    ),
  fc.constant(undefined),
  anyValue,
);

/** The field a refusal names: an option (`tracing…`) or a variable the run set. */
function expectNamesSetting(error: unknown, env: Record<string, string>, context: string): void {
  expectInvalidArgument(error, context);
  const field = (error as { field: string }).field;
  const named = field === 'tracing' || field.startsWith('tracing.') || Object.hasOwn(env, field);
  expect(named, `${context}: names ${field}, neither an option nor a variable that was set`).toBe(true);
}

describe('initTracing over arbitrary options and OTEL_* variables', () => {
  it('gives a working Tracing (a sampled span reaches its exporter) or INVALID_ARGUMENT naming the option or variable; shutdown completes', async () => {
    await fc.assert(
      fc.asyncProperty(tracingOptions, environment, async (options, env) => {
        const what = `initTracing(${show(options)}) with ${show(env)}`;
        await withEnv(env, async () => {
          let tracing: Tracing;
          try {
            tracing = initTracing(options as never);
          } catch (error) {
            expectNamesSetting(error, env, what);
            expect(currentTracing(), `${what}: refused, yet set up`).toBeUndefined();
            return;
          }
          try {
            expect(typeof tracing.toString()).toBe('string');
            const before = exportsReceived;
            const span = trace.getTracer('fuzz').startSpan('fuzz-span');
            const sampled = span.isRecording();
            span.end();
            await within(tracing.forceFlush(), 5_000, `forceFlush() of ${what}`);
            if (tracing.enabled && sampled) {
              const delivered =
                tracing.memoryExporter !== undefined
                  ? tracing.getFinishedSpans().some((finished) => finished.name === 'fuzz-span')
                  : String(tracing).includes('otlp')
                    ? exportsReceived > before
                    : true; // console: printed (console.dir is silenced here)
              expect(delivered, `${what}: a sampled span never reached the exporter (${tracing})`).toBe(true);
            }
          } finally {
            await within(tracing.shutdown(), 5_000, `shutdown() of ${what}`);
          }
          expect(currentTracing(), `${what}: still current after shutdown`).toBeUndefined();
        });
      }),
      runs(120, [
        // forceFlush() looped over ceil(1 / 0) batches until the heap ran out.
        [{ serviceName: 'fuzz', exporter: 'memory', batch: true }, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0' }],
        // Every span dropped: a queue of no spans.
        [{ serviceName: 'fuzz', exporter: 'memory', batch: true }, { OTEL_BSP_MAX_QUEUE_SIZE: '0' }],
        [{ serviceName: 'fuzz', exporter: 'memory', batch: true }, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0.5' }],
        // The OTLP exporter warns on diag and falls back to localhost:4318: every span lost.
        [{ serviceName: 'fuzz' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }],
        [{ serviceName: 'fuzz', exporter: 'otlp' }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }],
      ] as [unknown, Record<string, string>][]),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Propagation
// ---------------------------------------------------------------------------------------------

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const headerValue = fc.oneof(
  fc.constantFrom(TRACEPARENT, 'congo=t61rcWkgMzE', 'switchyard.track=canary', 'k=%zz', 'k=%E2%82', 'k=v;p', '=', ''),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.oneof(fc.constant(TRACEPARENT), fc.string({ maxLength: 10 })), { maxLength: 3 }),
  anyValue,
);
const headerMap = fc.oneof(
  {
    arbitrary: fc
      .record({ traceparent: optional(headerValue), tracestate: optional(headerValue), baggage: optional(headerValue) })
      .map(strip)
      .chain((known) =>
        fc
          .dictionary(fc.string({ maxLength: 8 }), headerValue, { maxKeys: 2 })
          .map((extra) => ({ ...extra, ...known })),
      ),
    weight: 6,
  },
  fc.constant(null).map(() => Object.create(null) as Record<string, unknown>),
  fc.dictionary(fc.constantFrom('traceparent', 'baggage', 'tracestate', '__proto__', 'constructor'), anyValue),
);
const baggageText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\uD800', 'a\uDC00b', 'é', '=', ',', ';', '%', 'x'.repeat(9_000)),
);

describe.each([
  ['without a tracer', false],
  ['with initTracing', true],
] as const)('propagation helpers with arbitrary header maps (%s)', (_, traced) => {
  it('extractTraceContext never throws; injectTraceContext of what it gave (plus arbitrary baggage) never throws', async () => {
    const tracing = traced ? initTracing({ serviceName: 'fuzz-propagation', exporter: 'memory' }) : undefined;
    try {
      fc.assert(
        fc.property(
          headerMap,
          fc.array(fc.tuple(baggageText, baggageText), { maxLength: 3 }),
          fc.constantFrom('plain', 'null-prototype', 'span'),
          (headers, entries, carrierKind) => {
            const what = `headers ${show(headers)}, baggage ${show(entries)}`;
            let extracted = ROOT_CONTEXT;
            try {
              extracted = extractTraceContext(headers as never);
            } catch (error) {
              throw new Error(`extractTraceContext(${show(headers)}) threw: ${describeError(error)}`);
            }
            let next = extracted;
            for (const [key, value] of entries) {
              try {
                next = withBaggageEntry(next, key, value);
              } catch (error) {
                expectInvalidArgument(error, `withBaggageEntry(${show(key)}, ${show(value)})`);
                continue;
              }
              expect(getBaggageEntry(key, next)).toBe(value);
            }
            const carrier: Record<string, string> =
              carrierKind === 'null-prototype' ? (Object.create(null) as Record<string, string>) : {};
            const inject = (): void => {
              if (carrierKind === 'span') {
                const span = trace.getTracer('fuzz').startSpan('child', undefined, next);
                context.with(trace.setSpan(next, span), () => injectTraceContext(carrier));
                span.end();
              } else {
                injectTraceContext(carrier, next);
              }
            };
            try {
              inject();
            } catch (error) {
              throw new Error(`injectTraceContext after ${what} threw: ${describeError(error)}`);
            }
            for (const value of Object.values(carrier)) expect(typeof value).toBe('string');
            // What was injected is what a receiver extracts again.
            const again = extractTraceContext(carrier);
            if (carrier.traceparent !== undefined) {
              expect(trace.getSpanContext(again)?.traceId, what).toBe(carrier.traceparent.split('-')[1]);
            }
            // Every entry the context holds reaches the next hop, as long as the whole fits W3C's
            // totals (which the propagator enforces by leaving entries out). Empty values are the
            // exception: OpenTelemetry's parser skips them on the way in.
            const held = propagation.getBaggage(next)?.getAllEntries() ?? [];
            const pairs = held.map(([key, entry]) => `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`);
            const fits = held.length <= 180 && pairs.join(',').length <= 8_192;
            // (Without initTracing no context manager is registered: context.with() activates nothing.)
            if (fits && (traced || carrierKind !== 'span')) {
              for (const [key, entry] of held) {
                if (entry.value === '') continue;
                expect(getBaggageEntry(key, again), `${what}: baggage ${show(key)} did not reach the next hop`).toBe(
                  entry.value,
                );
              }
            }
          },
        ),
        runs(300, [
          [{ baggage: 5 }, [], 'plain'],
          [{ baggage: {} }, [], 'plain'],
          // A lone surrogate made the propagator throw (swallowed): the whole baggage header was lost.
          [
            { traceparent: TRACEPARENT },
            [
              ['switchyard.track', 'canary'],
              ['k', '\uD800'],
            ],
            'plain',
          ],
          [
            {},
            [
              ['switchyard.track', 'canary'],
              ['k', 'x'.repeat(5_000)],
            ],
            'plain',
          ],
        ] as [unknown, [string, string][], string][]),
      );
    } finally {
      await tracing?.shutdown();
    }
  });
});
