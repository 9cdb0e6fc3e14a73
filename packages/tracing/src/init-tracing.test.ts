import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { SwitchyardError } from '@switchyard/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  endRpcSpan,
  initTracing,
  startClientAttemptSpan,
  type Tracing,
  type TracingOptions,
  tracingActive,
} from './index.js';
import { PooledIdGenerator } from './pooled-id-generator.js';
import { activeTracer } from './tracing-active.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

const OTEL_VARIABLES = [
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_SEMCONV_STABILITY_OPT_IN',
  'OTEL_SDK_DISABLED',
  'SWITCHYARD_OTLP_EXPORT_THREAD',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
];

let tracing: Tracing | undefined;
beforeEach(() => {
  for (const name of OTEL_VARIABLES) vi.stubEnv(name, '');
});
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

function invalidArgument(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(SwitchyardError.hasCode(error, 'INVALID_ARGUMENT')).toBe(true);
    return { field: (error as { field: string }).field, message: (error as Error).message };
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('initTracing', () => {
  it('registers a provider for the memory exporter and unregisters it on shutdown', async () => {
    expect(tracingActive()).toBe(false);
    tracing = initTracing({ serviceName: 'catalog', serviceVersion: '1.4.0', exporter: 'memory' });
    expect(tracing.enabled).toBe(true);
    expect(tracing.memoryExporter).toBeDefined();
    expect(tracingActive()).toBe(true);
    expect(propagation.fields()).toEqual(['traceparent', 'tracestate', 'baggage']);

    trace.getTracer('test').startSpan('work').end();
    const [span] = tracing.getFinishedSpans();
    expect(span?.name).toBe('work');
    expect(span?.resource.attributes['service.name']).toBe('catalog');
    expect(span?.resource.attributes['service.version']).toBe('1.4.0');

    const first = tracing.shutdown();
    expect(tracing.shutdown()).toBe(first);
    await first;
    expect(tracingActive()).toBe(false);
    expect(propagation.fields()).toEqual([]);
    expect(
      context.with(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(span!.spanContext())), () => context.active()),
    ).toBe(ROOT_CONTEXT);
  });

  it('gives the RPC helpers’ tracer pooled ids and no no-op SDK span metrics', async () => {
    tracing = initTracing({ serviceName: 'catalog', exporter: 'memory' });
    const tracer = activeTracer().tracer as unknown as {
      _idGenerator: unknown;
      _tracerMetrics: { startSpan(): () => void };
    };
    expect(tracer._idGenerator).toBeInstanceOf(PooledIdGenerator);
    // The SDK's own would build attributes for a no-op meter on every span start.
    expect(tracer._tracerMetrics.startSpan.toString()).toContain('NOTHING_TO_RECORD');
    const span = startClientAttemptSpan({ system: 'grpc', service: 'a.B', method: 'C', attempt: 1 });
    endRpcSpan(span, { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()[0]?.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it("defaults to exporter 'none' without an OTLP endpoint: nothing registered", async () => {
    tracing = initTracing({ serviceName: 'catalog' });
    expect(tracing.enabled).toBe(false);
    expect(tracing.memoryExporter).toBeUndefined();
    expect(tracing.getFinishedSpans()).toEqual([]);
    expect(tracingActive()).toBe(false);
    expect(propagation.fields()).toEqual([]);
    await tracing.forceFlush();
  });

  it('picks otlp when an OTLP endpoint is set, and honours OTEL_TRACES_EXPORTER and OTEL_SERVICE_NAME', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'search');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1');
    tracing = initTracing();
    expect(String(tracing)).toBe('Tracing(service=search, exporter=otlp http/protobuf, sampleRatio=1, batch=true)');
    await tracing.shutdown();

    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    tracing = initTracing();
    expect(String(tracing)).toContain('exporter=otlp http/json');
    await tracing.shutdown();

    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none');
    tracing = initTracing();
    expect(tracing.enabled).toBe(false);
  });

  it('reads the OTLP protocol variables in any case', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1');
    // Before: HTTP/PROTOBUF was refused as an unsupported protocol.
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'HTTP/PROTOBUF');
    tracing = initTracing({ serviceName: 'search' });
    expect(String(tracing)).toContain('exporter=otlp http/protobuf');
    await tracing.shutdown();

    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'Http/Json');
    tracing = initTracing({ serviceName: 'search' });
    expect(String(tracing)).toContain('exporter=otlp http/json');
    await tracing.shutdown();

    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'GRPC');
    expect(invalidArgument(() => initTracing({ serviceName: 'search' })).message).toContain('got "GRPC"');
  });

  it('refuses a SWITCHYARD_OTLP_EXPORT_THREAD other than true or false, which it ignored (0, off: still a thread)', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1');
    for (const value of ['0', 'off', 'no']) {
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', value);
      const error = invalidArgument(() => initTracing({ serviceName: 'search' }));
      expect(error).toMatchObject({ field: 'SWITCHYARD_OTLP_EXPORT_THREAD' });
      expect(error.message).toContain(`got "${value}"`);
    }
    for (const value of ['TRUE', ' false ']) {
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', value);
      tracing = initTracing({ serviceName: 'search' });
      await tracing.shutdown();
    }
  });

  it('merges resourceAttributes over OTEL_RESOURCE_ATTRIBUTES', () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment.name=prod,team=shop');
    tracing = initTracing({ serviceName: 'orders', exporter: 'memory', resourceAttributes: { team: 'checkout' } });
    trace.getTracer('test').startSpan('work').end();
    const attributes = tracing.getFinishedSpans()[0]?.resource.attributes;
    expect(attributes).toMatchObject({
      'deployment.environment.name': 'prod',
      team: 'checkout',
      'service.name': 'orders',
    });
  });

  it('returns the same instance for equal options and throws for different ones', async () => {
    tracing = initTracing({ serviceName: 'catalog', exporter: 'memory' });
    expect(initTracing({ exporter: 'memory', serviceName: 'catalog', batch: false })).toBe(tracing);
    const { field, message } = invalidArgument(() => initTracing({ serviceName: 'catalog', exporter: 'console' }));
    expect(field).toBe('tracing');
    expect(message).toContain('exporters: ["memory"] → ["console"]');
    await tracing.shutdown();
    tracing = initTracing({ serviceName: 'catalog', exporter: 'console' });
    expect(tracing.enabled).toBe(true);
  });

  it('refuses to replace a tracer provider registered by someone else', () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    expect(tracingActive()).toBe(true);
    expect(invalidArgument(() => initTracing({ serviceName: 'catalog', exporter: 'memory' })).message).toContain(
      'another OpenTelemetry TracerProvider',
    );
    tracing = initTracing({ serviceName: 'catalog', exporter: 'none' });
    expect(tracing.enabled).toBe(false);
  });

  const badOptions: [string, unknown, string, string?][] = [
    ['missing serviceName', {}, 'tracing.serviceName', 'tracing.serviceName: is required'],
    ['empty serviceName', { serviceName: ' ' }, 'tracing.serviceName'],
    [
      'sampleRatio above 1',
      { serviceName: 's', sampleRatio: 2 },
      'tracing.sampleRatio',
      'tracing.sampleRatio: must be a number from 0 to 1',
    ],
    ['sampleRatio NaN', { serviceName: 's', sampleRatio: Number.NaN }, 'tracing.sampleRatio'],
    ['unknown exporter', { serviceName: 's', exporter: 'jaeger' }, 'tracing.exporter'],
    ['batch not boolean', { serviceName: 's', batch: 'yes' }, 'tracing.batch'],
    [
      'resource attribute not a string',
      { serviceName: 's', resourceAttributes: { team: 1 } },
      'tracing.resourceAttributes.team',
    ],
    [
      'service.name as resource attribute',
      { serviceName: 's', resourceAttributes: { 'service.name': 'x' } },
      'tracing.resourceAttributes.service.name',
    ],
    ['misspelt option', { serviceName: 's', sampleRate: 0.5 }, 'tracing.sampleRate'],
    ['options not an object', 'catalog', 'tracing'],
  ];
  it.each(badOptions)('rejects %s with INVALID_ARGUMENT naming the field', (_, options, field, message) => {
    const error = invalidArgument(() => initTracing(options as TracingOptions));
    expect(error.field).toBe(field);
    if (message !== undefined) expect(error.message).toContain(message);
    expect(tracingActive()).toBe(false);
  });

  it('rejects bad environment values naming the variable', () => {
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'zipkin');
    expect(invalidArgument(() => initTracing({ serviceName: 's' })).field).toBe('OTEL_TRACES_EXPORTER');
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp,zipkin');
    expect(invalidArgument(() => initTracing({ serviceName: 's' })).message).toContain('"zipkin"');
    // Quoted as set: the list is read in any case, but the error said "zipkin" for Zipkin.
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp, Zipkin');
    expect(invalidArgument(() => initTracing({ serviceName: 's' })).message).toContain('"Zipkin"');
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp, none');
    expect(invalidArgument(() => initTracing({ serviceName: 's' })).message).toContain(
      "'none' cannot be combined with others",
    );
    vi.stubEnv('OTEL_TRACES_EXPORTER', '');
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'grpc');
    expect(invalidArgument(() => initTracing({ serviceName: 's', exporter: 'otlp' })).field).toBe(
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    );
    expect(tracingActive()).toBe(false);
  });
});

describe('initTracing and the environment (review mends)', () => {
  it('takes service.name from OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset', () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=prod,service.name=catalog%20api');
    tracing = initTracing({ exporter: 'memory' });
    expect(tracing.toString()).toContain('service=catalog api');
  });

  it('refuses an OTEL_RESOURCE_ATTRIBUTES the SDK would discard whole, naming the variable and the entry', () => {
    // The SDK's env detector drops every attribute of the variable for one bad entry, logging only
    // at debug level, while service.name was still read from it: spans went out named, without
    // deployment.environment or any other attribute of the variable, and no word said so.
    const bad: [string, string][] = [
      ['service.name=catalog,deployment.environment=prod,note=a=b', 'note=a=b'],
      ['service.name=catalog,discount=100%', 'discount=100%'],
      ['service.name=catalog,=orphan', '=orphan'],
      ['service.name=catalog,team', 'team'],
      [`service.name=catalog,long=${'x'.repeat(256)}`, 'long'],
    ];
    for (const [value, entry] of bad) {
      vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', value);
      const error = invalidArgument(() => initTracing({ exporter: 'memory' }));
      expect(error.field).toBe('OTEL_RESOURCE_ATTRIBUTES');
      expect(error.message).toContain(entry);
      // Also when service.name comes from elsewhere: the other attributes would be lost all the same.
      expect(invalidArgument(() => initTracing({ serviceName: 'orders', exporter: 'memory' })).field).toBe(
        'OTEL_RESOURCE_ATTRIBUTES',
      );
      expect(tracingActive()).toBe(false);
    }
    // What the specification allows passes, and arrives whole: encoded ',' and '=', blanks around
    // entries, an empty entry, an empty value, 255 characters.
    vi.stubEnv(
      'OTEL_RESOURCE_ATTRIBUTES',
      ` service.name=catalog , deployment.environment=prod,,note=a%3Db%2Cc,empty=,long=${'x'.repeat(255)}`,
    );
    tracing = initTracing({ exporter: 'memory' });
    trace.getTracer('test').startSpan('work').end();
    expect(tracing.getFinishedSpans()[0]?.resource.attributes).toMatchObject({
      'service.name': 'catalog',
      'deployment.environment': 'prod',
      note: 'a=b,c',
      empty: '',
      long: 'x'.repeat(255),
    });
  });

  it('refuses span limits the SDK would misread, naming the variable', () => {
    // Before, the SDK took any number: OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=-1 dropped every attribute of
    // every span without a word, 0.5 kept one, and OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=0 (read as "no
    // limit" by some) logged a diag warning for every attribute of every span and truncated nothing.
    const bad: [string, string][] = [
      ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '-1'],
      ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '0.5'],
      ['OTEL_ATTRIBUTE_COUNT_LIMIT', 'many'],
      ['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '0'],
      ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', '-5'],
      ['OTEL_SPAN_EVENT_COUNT_LIMIT', '-1'],
      ['OTEL_SPAN_LINK_COUNT_LIMIT', '1.5'],
      ['OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT', '-1'],
      ['OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT', 'ten'],
    ];
    for (const [name, value] of bad) {
      vi.stubEnv(name, value);
      const error = invalidArgument(() => initTracing({ serviceName: 'catalog', exporter: 'memory' }));
      expect(error.field).toBe(name);
      expect(error.message).toContain(`got "${value}"`);
      expect(tracingActive()).toBe(false);
      vi.stubEnv(name, '');
    }
  });

  it('takes good span limits, and reads none when tracing is off', async () => {
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '-1');
    await initTracing({ serviceName: 'catalog', exporter: 'none' }).shutdown();
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', ' 3 ');
    vi.stubEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '12');
    vi.stubEnv('OTEL_SPAN_EVENT_COUNT_LIMIT', '0');
    tracing = initTracing({ serviceName: 'catalog', exporter: 'memory' });
    const span = startClientAttemptSpan({
      system: 'http',
      service: 'catalog',
      method: 'GET',
      url: 'http://catalog/products?page=2',
      serverAddress: 'catalog',
    });
    endRpcSpan(span, { httpStatusCode: 200 });
    const [finished] = tracing.getFinishedSpans();
    expect(Object.keys(finished?.attributes ?? {})).toHaveLength(3);
    expect(finished?.attributes['url.full']).toBe('http://catal');
  });

  it('refuses OTLP headers the exporter would drop, cut or fail to send, naming the variable but not the secret', async () => {
    // Before: the exporter's parser dropped an entry without '=' (x-api-key:s3cr3t, a common slip)
    // or with a bad escape without a word, cut a value at its first ';', and passed on names and
    // values no HTTP request can carry: every export then went out without its API key (401s), or
    // with half of it, or failed.
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1');
    const bad: [string, string, string][] = [
      ['OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key:s3cr3t', 'entry 1'],
      ['OTEL_EXPORTER_OTLP_HEADERS', 'x-tenant=shop,x-api-key=%ZZs3cr3t', 'x-api-key'],
      ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'authorization=Bearer s3cr3t;v2', 'authorization'],
      ['OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key=', 'x-api-key'],
      ['OTEL_EXPORTER_OTLP_HEADERS', '=s3cr3t', 'entry 1'],
      ['OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key=s3cr3t%0Aevil', 'x-api-key'],
      ['OTEL_EXPORTER_OTLP_HEADERS', 'api key=s3cr3t', 'api key'],
    ];
    for (const [name, value, entry] of bad) {
      vi.stubEnv(name, value);
      let error: unknown;
      try {
        tracing = initTracing({ serviceName: 'catalog', exporter: 'otlp' });
      } catch (caught) {
        error = caught;
      }
      await tracing?.shutdown();
      tracing = undefined;
      expect(error, `${name}=${value}`).toMatchObject({ code: 'INVALID_ARGUMENT', field: name });
      expect((error as Error).message).toContain(entry);
      expect((error as Error).message).not.toContain('s3cr3t');
      vi.stubEnv(name, '');
    }
    // Encoded as the specification asks, and blanks around entries: taken.
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', ' authorization=Bearer%20abc%3Bv2== , x-tenant=shop,');
    tracing = initTracing({ serviceName: 'catalog', exporter: 'otlp' });
    expect(tracing.enabled).toBe(true);
  });

  it('does not read a bad OTEL_RESOURCE_ATTRIBUTES when tracing is off and the name is given', () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'note=a=b');
    tracing = initTracing({ serviceName: 'catalog', exporter: 'none' });
    expect(tracing.enabled).toBe(false);
  });

  it('exports nothing when OTEL_SDK_DISABLED=true, whatever endpoint is set', () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:4318');
    tracing = initTracing({ serviceName: 'catalog' });
    expect(tracing.enabled).toBe(false);
  });

  it('is no longer current, nor handed out again, from the moment its shutdown starts', async () => {
    const options: TracingOptions = { serviceName: 'catalog', exporter: 'memory' };
    const first = initTracing(options);
    const stopping = first.shutdown();
    // Before: the same instance, still shutting down, came back; its spans went nowhere after.
    const second = initTracing(options);
    tracing = second;
    expect(second).not.toBe(first);
    await stopping;
    expect(tracingActive()).toBe(true); // the first one's end did not disable the second's setup
  });
});
