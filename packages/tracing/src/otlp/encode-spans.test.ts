import type { Attributes, HrTime, Link, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { mulberry32 } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { realSpans } from '../test-support/sample-spans.js';
import { SpanEncoder } from './encode-spans.js';
import { ProtobufOutput } from './protobuf-output.js';

const official = (spans: ReadableSpan[]): Uint8Array => ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function randomSpans(seed: number, count: number): ReadableSpan[] {
  // Deterministic, so a failure can be replayed.
  const next = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const int = (below: number): number => Math.floor(next() * below);
  const hexId = (bytes: number): string => {
    let id = '';
    for (let i = 0; i < bytes * 2; i++) id += '0123456789abcdefABCDEF'[int(22)];
    return id;
  };
  const text = (): string =>
    pick([
      '',
      'GET',
      'shop.v1.Catalog/Get',
      'ünïcödé ✓',
      'x'.repeat(300),
      'lone \ud800 surrogate',
      'a\u0000b',
      '日本',
      `long ünïcödé ${'✓'.repeat(40)} \udc00 end`,
    ]);
  const value = (depth: number): unknown =>
    pick<() => unknown>([
      text,
      () => int(1000),
      () => -int(1e6) - 1,
      () => 2 ** 53 - int(100),
      () => -(2 ** 53) + int(100),
      () => next() * 1e6,
      () => pick([Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 63, 0.1]),
      () => next() < 0.5,
      () => null,
      () => undefined,
      () => new Uint8Array([int(256), int(256), 0]),
      () => (depth > 1 ? 'flat' : [value(depth + 1), value(depth + 1)]),
      () => (depth > 1 ? 1 : { inner: value(depth + 1), 'k ü': value(depth + 1) }),
    ])();
  const attributes = (): Attributes => {
    const result: Record<string, unknown> = {};
    const keys = int(8);
    for (let i = 0; i < keys; i++)
      result[pick(['rpc.system', 'server.port', 'k', 'ключ', 'url.full', `k${int(50)}`])] = value(0);
    return result as Attributes;
  };
  const time = (): HrTime => [pick([0, 1, 1_700_000_000, 4_294_967_295, 2 ** 40]) + int(1000), int(1e9)];
  const traceState = () =>
    pick([undefined, { serialize: () => '' }, { serialize: () => 'vendor=abc,other=1' }]) as never;
  const spanContext = () => ({
    traceId: hexId(16),
    spanId: hexId(8),
    traceFlags: int(256),
    traceState: traceState(),
    isRemote: next() < 0.5,
  });
  const resources = [
    resourceFromAttributes({ 'service.name': 'a', n: 1 }),
    resourceFromAttributes({ 'service.name': 'ü', list: ['x'] }),
    { attributes: { 'service.name': 'schema' }, schemaUrl: 'https://example.com/s', asyncAttributesPending: false },
  ] as Resource[];
  const scopes = [
    { name: 'one' },
    { name: 'two', version: '2.0.0', schemaUrl: 'https://example.com/scope' },
    { name: 'three', attributes: { scoped: true }, droppedAttributesCount: 2 },
  ];
  const spans: ReadableSpan[] = [];
  for (let i = 0; i < count; i++) {
    const context = spanContext();
    const events: TimedEvent[] = Array.from({ length: int(3) }, () => ({
      name: text(),
      time: time(),
      ...(next() < 0.7 ? { attributes: attributes() } : {}),
      ...(next() < 0.3 ? { droppedAttributesCount: int(5) } : {}),
    }));
    const links: Link[] = Array.from({ length: int(3) }, () => ({
      context: spanContext(),
      ...(next() < 0.7 ? { attributes: attributes() } : {}),
      ...(next() < 0.3 ? { droppedAttributesCount: int(5) } : {}),
    }));
    spans.push({
      name: text(),
      kind: pick([0, 1, 2, 3, 4, undefined]) as SpanKind,
      spanContext: () => context,
      parentSpanContext: next() < 0.5 ? spanContext() : undefined,
      startTime: time(),
      endTime: time(),
      // Negative codes and counts are outside the API's contract; a JS caller can still pass them.
      // 127 and 128 straddle the one-byte varint the encoder writes directly.
      status: {
        code: pick([0, 1, 2, -1, 127, 128]) as SpanStatusCode,
        ...(next() < 0.5 ? { message: text() } : {}),
      },
      attributes: attributes(),
      links,
      events,
      duration: [0, 0],
      ended: true,
      resource: pick(resources),
      instrumentationScope: pick(scopes),
      droppedAttributesCount: pick([0, 1, 127, 128, 70000]),
      droppedEventsCount: pick([0, 2, -3, 128]),
      droppedLinksCount: pick([0, 3, 127, 300]),
    });
  }
  return spans;
}

describe('SpanEncoder', () => {
  it('writes the same bytes as the official serializer for real SDK spans', () => {
    const spans = realSpans();
    expect(spans.length).toBe(6);
    const encoder = new SpanEncoder();
    const expected = hex(official(spans));
    expect(hex(encoder.encode(spans))).toBe(expected);
    // Again with every cache warm.
    expect(hex(encoder.encode(spans))).toBe(expected);
  });

  it('writes the same bytes over 4,000 random spans, with a roomy and a tiny attribute cache', () => {
    const roomy = new SpanEncoder();
    const tiny = new SpanEncoder(8, 16);
    for (let batch = 0; batch < 40; batch++) {
      const spans = randomSpans(batch + 1, 100);
      const expected = hex(official(spans));
      expect(hex(roomy.encode(spans)), `batch ${batch}`).toBe(expected);
      expect(hex(tiny.encode(spans)), `batch ${batch}, tiny cache`).toBe(expected);
    }
  });

  it('reuses recent attribute sets only when keys, order and values all match', () => {
    const [template] = randomSpans(21, 1) as [ReadableSpan];
    const rpc = { 'rpc.system': 'grpc', 'rpc.method': 'Get', 'server.port': 50051, 'switchyard.attempt': 1 };
    const variants: Attributes[] = [
      rpc,
      { ...rpc },
      { ...rpc, 'server.port': 50052 },
      { 'rpc.method': 'Get', 'rpc.system': 'grpc', 'server.port': 50051, 'switchyard.attempt': 1 }, // order
      { ...rpc, extra: true },
      { 'rpc.system': 'grpc', 'rpc.method': 'Get', 'server.port': 50051 }, // one fewer
      { ...rpc, 'switchyard.attempt': -0 },
      { ...rpc, 'switchyard.attempt': 0 },
      { ...rpc, 'switchyard.attempt': 1.5 },
      { ...rpc, 'switchyard.attempt': '1' },
      { ...rpc, ratio: Number.NaN },
      { ...rpc, list: ['a'] },
      { ...rpc, inherited: 'x' },
      Object.assign(Object.create({ inherited: 'x' }), rpc), // the same for-in keys, one not its own
      {},
    ];
    // Big enough to grow the output while its attributes are written.
    variants.push(Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`key.${i}`, 'v'.repeat(200) + i])));
    // Far more distinct sets than the encoder remembers, each seen again soon and late.
    for (let i = 0; i < 12; i++) variants.push({ ...rpc, 'server.address': `10.0.0.${i}` });
    const spans = [...variants, ...variants.slice().reverse(), ...variants].map(
      (attributes) => ({ ...template, attributes }) as ReadableSpan,
    );
    const encoder = new SpanEncoder();
    for (let round = 0; round < 3; round++)
      expect(hex(encoder.encode(spans)), `round ${round}`).toBe(hex(official(spans)));
  });

  it('writes the same bytes when more sets rotate than it remembers, before and after it stops trying them', () => {
    const [template] = randomSpans(23, 1) as [ReadableSpan];
    const sets = Array.from({ length: 12 }, (_, i) => ({ 'rpc.method': 'Get', 'server.address': `10.0.0.${i}` }));
    // 12 sets in rotation never match among 8 remembered: the encoder pauses, then tries again.
    const spans = Array.from({ length: 2_400 }, (_, i) => ({ ...template, attributes: sets[i % 12] }) as ReadableSpan);
    const encoder = new SpanEncoder();
    for (let at = 0; at < spans.length; at += 300) {
      const batch = spans.slice(at, at + 300);
      expect(hex(encoder.encode(batch)), `spans ${at}…`).toBe(hex(official(batch)));
    }
    // A set seen again and again after that is matched once more.
    const steady = Array.from({ length: 1_200 }, () => ({ ...template, attributes: sets[0] }) as ReadableSpan);
    expect(hex(encoder.encode(steady))).toBe(hex(official(steady)));
  });

  it('remembers the values it wrote, reading each once: a getter cannot make a later set match wrongly', () => {
    const [template] = randomSpans(22, 1) as [ReadableSpan];
    let reads = 0;
    const counting = {
      get n() {
        reads++;
        return reads;
      },
    };
    const encoder = new SpanEncoder();
    encoder.encode([{ ...template, attributes: counting } as ReadableSpan]);
    expect(reads).toBe(1);
    const plain = [{ ...template, attributes: { n: 2 } } as ReadableSpan];
    expect(hex(encoder.encode(plain))).toBe(hex(official(plain)));
  });

  it('writes ids that are not well-formed hex (odd length, other characters) as the official serializer does', () => {
    const [span] = randomSpans(11, 1) as [ReadableSpan];
    for (const [traceId, spanId] of [
      ['0af7651916cd43dd8448eb211c80319', 'b7ad6b716920333'],
      ['0af7651916cd43dd8448eb211c80319z', 'g7ad6b7169203331'],
      ['0AF7651916CD43DD8448EB211C80319C', 'B7AD6B7169203331'],
      // Beyond ASCII (the encoder's lookup tables stop at 127).
      ['0af7651916cd43dd8448eb211c8031\u00e9c', 'b7ad6b71692033\u01003'],
    ]) {
      const odd = { ...span, spanContext: () => ({ ...span.spanContext(), traceId, spanId }) } as ReadableSpan;
      expect(hex(new SpanEncoder().encode([odd])), `${traceId} ${spanId}`).toBe(hex(official([odd])));
    }
  });

  it('writes an empty request for no spans', () => {
    expect(new SpanEncoder().encode([])).toHaveLength(0);
  });

  it('grows past its first guess for a very large span', () => {
    const [span] = randomSpans(7, 1) as [ReadableSpan];
    const huge = { ...span, attributes: { blob: 'z'.repeat(200_000), ü: 'ü'.repeat(50_000) } } as ReadableSpan;
    expect(hex(new SpanEncoder().encode([huge]))).toBe(hex(official([huge])));
  });

  it('encodes into reused memory from its start, over what an earlier request left there, and grows it when short', () => {
    const encoder = new SpanEncoder();
    const out = new ProtobufOutput(16);
    out.reset(Buffer.alloc(64 * 1024, 0xee)); // stale bytes everywhere
    for (const spans of [randomSpans(11, 200), randomSpans(12, 3), randomSpans(13, 400)]) {
      encoder.encodeInto(out, spans);
      expect(hex(out.finish())).toBe(hex(official(spans)));
    }
  });
});
