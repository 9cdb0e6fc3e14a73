import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SwitchyardError } from '@switchyard/core';
import { initTracing, type Tracing } from './index.js';
import { type CollectedRequest, type LocalCollector, startLocalCollector } from './test-support/local-collector.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';
import { recordOneCall } from './test-support/sample-spans.js';

/** A tiny OTLP/HTTP collector: records every request and answers 200 with an empty response message. */
let collector: LocalCollector;
let endpoint: string;
let received: CollectedRequest[];

beforeAll(async () => {
  collector = await startLocalCollector();
  ({ endpoint, received } = collector);
});
afterAll(() => collector.close());

let tracing: Tracing | undefined;
beforeEach(() => {
  received.length = 0;
  for (const name of [
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_TRACES_EXPORTER',
    'SWITCHYARD_OTLP_EXPORT_THREAD',
  ]) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
});
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe('OTLP export to a real HTTP endpoint', () => {
  it('sends http/protobuf (the default) to /v1/traces on forceFlush', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', '');
    tracing = initTracing({ serviceName: 'otlp-proto-test', exporter: 'otlp' });
    expect(tracing.enabled).toBe(true);
    const traceId = recordOneCall();
    await tracing.forceFlush();

    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/traces');
    expect(request?.headers['content-type']).toBe('application/x-protobuf');
    expect(request?.body.length).toBeGreaterThan(0);
    // Protobuf keeps strings and bytes as they are: the resource, the span name and the trace id show through.
    expect(request?.body.includes('service.name')).toBe(true);
    expect(request?.body.includes('otlp-proto-test')).toBe(true);
    expect(request?.body.includes('shop.catalog.v1.CatalogService/GetProduct')).toBe(true);
    expect(request?.body.includes(Buffer.from(traceId, 'hex'))).toBe(true);
  });

  it('sends http/json when OTEL_EXPORTER_OTLP_PROTOCOL asks for it', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    tracing = initTracing({ serviceName: 'otlp-json-test', exporter: 'otlp' });
    recordOneCall();
    await tracing.forceFlush();

    expect(received).toHaveLength(1);
    expect(received[0]?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(received[0]?.body.toString('utf8') ?? '{}');
    const resourceSpans = body.resourceSpans[0];
    expect(resourceSpans.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'otlp-json-test' },
    });
    expect(resourceSpans.scopeSpans[0].spans[0].name).toBe('shop.catalog.v1.CatalogService/GetProduct');
  });

  it('flushes batched spans on shutdown', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', '');
    tracing = initTracing({ serviceName: 'otlp-shutdown-test' });
    recordOneCall();
    recordOneCall();
    expect(received).toHaveLength(0);
    await tracing.shutdown();
    expect(received).toHaveLength(1);
    expect(received[0]?.body.includes('otlp-shutdown-test')).toBe(true);
  });

  it('never throws export failures at the application: a dead collector is reported, not raised', async () => {
    const dead = createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const port = (dead.address() as AddressInfo).port;
    dead.close();
    await once(dead, 'close');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${port}`);
    vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '2000');
    tracing = initTracing({ serviceName: 'otlp-dead-collector-test' });
    recordOneCall();
    await expect(tracing.forceFlush()).resolves.toBeUndefined();
    await expect(tracing.shutdown()).resolves.toBeUndefined();
  });

  it('sends http/protobuf in batches of OTEL_BSP_MAX_EXPORT_BATCH_SIZE, and a partial one after OTEL_BSP_SCHEDULE_DELAY', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', '');
    vi.stubEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '2');
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '50');
    tracing = initTracing({ serviceName: 'otlp-batch-test', exporter: 'otlp' });
    const traceIds = [recordOneCall(), recordOneCall(), recordOneCall()];
    // The first two spans fill a batch and leave at once; the third leaves after the delay.
    for (let waited = 0; received.length < 2 && waited < 100; waited++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(2);
    const spansIn = (body: Buffer): number => traceIds.filter((id) => body.includes(Buffer.from(id, 'hex'))).length;
    expect(received.map((request) => spansIn(request.body))).toEqual([2, 1]);
  });

  it.each(['off', '0', 'yes'])(
    'refuses SWITCHYARD_OTLP_EXPORT_THREAD=%s with INVALID_ARGUMENT naming the variable, and sets nothing up',
    (value) => {
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', value);
      let thrown: unknown;
      try {
        tracing = initTracing({ serviceName: 'bad-thread-switch-test', exporter: 'otlp' });
      } catch (error) {
        thrown = error;
      }
      expect(SwitchyardError.hasCode(thrown, 'INVALID_ARGUMENT')).toBe(true);
      expect((thrown as Error).message).toContain('SWITCHYARD_OTLP_EXPORT_THREAD');
      expect((thrown as Error).message).toContain(`must be true or false, got "${value}"`);
      // Nothing was half set up: tracing with other options starts as if it never happened.
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', '');
      tracing = initTracing({ serviceName: 'after-the-refusal', exporter: 'otlp' });
      expect(tracing.enabled).toBe(true);
    },
  );

  it('sends to every exporter OTEL_TRACES_EXPORTER lists: otlp,console', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', '');
    vi.stubEnv('OTEL_TRACES_EXPORTER', ' OTLP , console,otlp');
    const printed: unknown[] = [];
    const dir = vi.spyOn(console, 'dir').mockImplementation((item) => {
      printed.push(item);
    });
    try {
      tracing = initTracing({ serviceName: 'otlp-and-console-test' });
      expect(String(tracing)).toContain('exporter=otlp http/protobuf+console, sampleRatio=1, batch=true+false');
      const traceId = recordOneCall();
      // The console exporter is not batched next to otlp (as the specification advises): at once.
      expect(printed).toHaveLength(1);
      await tracing.forceFlush();
      expect(received).toHaveLength(1);
      expect(received[0]?.body.includes(Buffer.from(traceId, 'hex'))).toBe(true);
      expect(printed).toContainEqual(
        expect.objectContaining({ traceId, name: 'shop.catalog.v1.CatalogService/GetProduct' }),
      );
    } finally {
      dir.mockRestore();
    }
  });
});
