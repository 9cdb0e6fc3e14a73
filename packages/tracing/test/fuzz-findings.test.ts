/**
 * Inputs found by the security-tests fuzzer (fuzz-tracing) that initTracing or the propagation
 * helpers took and then lost spans or baggage with. One test per find, each failing without its fix.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SwitchyardError } from '@switchyard/core';
import {
  currentTracing,
  extractTraceContext,
  getBaggageEntry,
  initTracing,
  injectTraceContext,
  withBaggageEntry,
} from '@switchyard/tracing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const VARIABLES = [
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_EXPORTER',
  'OTEL_SDK_DISABLED',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
];
beforeEach(() => {
  for (const name of VARIABLES) vi.stubEnv(name, '');
});
afterEach(async () => {
  // Without the checks the setup was accepted: shut it down before any span could be exported
  // (a batch size of 0 ran forceFlush out of memory).
  await currentTracing()?.shutdown();
  vi.unstubAllEnvs();
});

/** The field initTracing refuses with (INVALID_ARGUMENT), or a failure saying it accepted. */
function refusal(options: Parameters<typeof initTracing>[0]): string {
  try {
    initTracing(options);
  } catch (error) {
    expect(SwitchyardError.hasCode(error, 'INVALID_ARGUMENT')).toBe(true);
    return (error as { field: string }).field;
  }
  throw new Error(`initTracing(${JSON.stringify(options)}) accepted it`);
}

describe('initTracing: OTEL_BSP_* the batch processor cannot work with', () => {
  it.each([
    // forceFlush() looped over ceil(n / 0) batches until the heap ran out.
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '0'],
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '0.5'],
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '-1'],
    // A queue of no spans: every span dropped, without a word.
    ['OTEL_BSP_MAX_QUEUE_SIZE', '0'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', 'many'],
    ['OTEL_BSP_SCHEDULE_DELAY', '-5'],
    ['OTEL_BSP_EXPORT_TIMEOUT', '0'],
  ])('%s=%s is INVALID_ARGUMENT naming it', (name, value) => {
    vi.stubEnv(name, value);
    expect(refusal({ serviceName: 'catalog', exporter: 'memory', batch: true })).toBe(name);
  });

  it('are read only when a batch processor is used, and good values are taken', async () => {
    vi.stubEnv('OTEL_BSP_MAX_QUEUE_SIZE', '0');
    await initTracing({ serviceName: 'catalog', exporter: 'memory' }).shutdown();
    vi.stubEnv('OTEL_BSP_MAX_QUEUE_SIZE', ' 100 ');
    vi.stubEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '1e1');
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '0');
    const tracing = initTracing({ serviceName: 'catalog', exporter: 'memory', batch: true });
    await tracing.shutdown();
  });
});

describe('initTracing: an OTLP endpoint that is no URL', () => {
  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'localhost:4318'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'collector:4318/v1/traces'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
  ])('%s=%s is INVALID_ARGUMENT naming it (the exporter sent every span to localhost:4318 instead)', (name, value) => {
    vi.stubEnv(name, value);
    expect(refusal({ serviceName: 'catalog' })).toBe(name);
  });

  it.each([
    ['grpc://tenant:s3cr3t@collector:4317', 'grpc://REDACTED:REDACTED@collector:4317'],
    ['tenant:s3cr3t@collector:4318/v1/traces', 'REDACTED@collector:4318/v1/traces'],
    ['ftp://collector/v1/traces?api_key=s3cr3t&region=eu', 'ftp://collector/v1/traces?REDACTED'],
    ['collector:4318#token=s3cr3t', 'collector:4318#REDACTED'],
    // A password with '/', '?' or '#' not percent-encoded (refused: the URL's port reads as 's3'):
    // the authority was taken to end there, and the message showed the user and the password, or
    // the part of it before '?' or '#'.
    ['http://tenant:s3cr3t/x@collector:4318', 'http://REDACTED@collector:4318'],
    ['http://tenant:s3cr3t?x@collector:4318/v1/traces', 'http://REDACTED@collector:4318/v1/traces'],
    ['https://tenant:s3cr3t#x@collector:4318', 'https://REDACTED@collector:4318'],
    ['tenant:s3cr3t/x@collector:4318', 'REDACTED@collector:4318'],
  ])('the refusal of %s does not carry its credentials into the logs', (value, shown) => {
    // Before: the message quoted the value whole, userinfo and API key included, into every log
    // that records a failed start.
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', value);
    let message = '';
    try {
      initTracing({ serviceName: 'catalog' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL');
    expect(message).not.toContain('s3cr3t');
    expect(message).not.toContain('tenant');
    expect(message).toContain(JSON.stringify(shown));
  });

  it('a good endpoint is taken, and the generic one is not read when the traces one is set', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url');
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'http://127.0.0.1:1/v1/traces');
    await initTracing({ serviceName: 'catalog' }).shutdown();
  });
});

describe('withBaggageEntry: entries the W3C propagator cannot send', () => {
  it('refuses half of a surrogate pair (the whole baggage header, switchyard.track included, was lost)', () => {
    const track = withBaggageEntry(ROOT_CONTEXT, 'switchyard.track', 'canary');
    const half = '😀'.slice(0, 1);
    expect(() => withBaggageEntry(track, 'note', `a${half}`)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'baggage.note' }),
    );
    expect(() => withBaggageEntry(track, `k${half}`, 'a')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'baggage.key' }),
    );
    // Whole pairs travel.
    const carrier: Record<string, string> = {};
    injectTraceContext(carrier, withBaggageEntry(track, 'note', 'a😀'));
    const received = extractTraceContext(carrier);
    expect(getBaggageEntry('switchyard.track', received)).toBe('canary');
    expect(getBaggageEntry('note', received)).toBe('a😀');
  });

  it('refuses an entry longer than the propagator sends (it was left out of every call)', () => {
    expect(() => withBaggageEntry(ROOT_CONTEXT, 'k', 'x'.repeat(5_000))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'baggage.k' }),
    );
    const carrier: Record<string, string> = {};
    injectTraceContext(carrier, withBaggageEntry(ROOT_CONTEXT, 'k', 'x'.repeat(4_000)));
    expect(getBaggageEntry('k', extractTraceContext(carrier))).toHaveLength(4_000);
  });
});
