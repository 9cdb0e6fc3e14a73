import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { realSpans } from '../test-support/sample-spans.js';
import { SpanEncoder } from './encode-spans.js';
import { EncodedSpanBatch } from './encoded-span-batch.js';

const official = (spans: ReadableSpan[]): string =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array).toString('hex');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A span whose attributes throw when read: what a broken instrumentation can hand a processor. */
function unencodable(like: ReadableSpan): ReadableSpan {
  const attributes = {};
  Object.defineProperty(attributes, 'broken', {
    enumerable: true,
    get: () => {
      throw new Error('attribute getter failed');
    },
  });
  return Object.assign(Object.create(Object.getPrototypeOf(like)), like, { attributes }) as ReadableSpan;
}

describe('EncodedSpanBatch', () => {
  it('writes the official request for spans of two resources and four scopes, added as they end', () => {
    const spans = realSpans();
    const batch = new EncodedSpanBatch(new SpanEncoder());
    for (const span of spans) batch.add(span);
    expect(batch.length).toBe(spans.length);
    const taken = batch.take();
    expect(taken.length).toBe(spans.length);
    expect(hex(taken.bytes)).toBe(official(spans));
    expect(batch.length).toBe(0);
  });

  it('starts empty after a take and reuses its buffers without mixing batches', () => {
    const spans = realSpans();
    const batch = new EncodedSpanBatch(new SpanEncoder());
    for (const span of spans) batch.add(span);
    const first = batch.take();
    const firstHex = hex(first.bytes);
    // Only the second resource's spans this time: the first resource's groups were emptied.
    const later = spans.filter((span) => span.resource === spans.at(-1)?.resource);
    for (const span of later) batch.add(span);
    expect(hex(batch.take().bytes)).toBe(official(later));
    // The first request is its own copy: writing the second did not change it.
    expect(hex(first.bytes)).toBe(firstHex);
    for (const span of spans) batch.add(span);
    expect(hex(batch.take().bytes)).toBe(official(spans));
  });

  it('leaves itself unchanged when a span cannot be encoded, and says why', () => {
    const spans = realSpans();
    const batch = new EncodedSpanBatch(new SpanEncoder());
    batch.add(spans[0] as ReadableSpan);
    expect(() => batch.add(unencodable(spans[1] as ReadableSpan))).toThrow('attribute getter failed');
    for (const span of spans.slice(1)) batch.add(span);
    expect(batch.length).toBe(spans.length);
    expect(hex(batch.take().bytes)).toBe(official(spans));
  });

  it('clear() forgets the spans added since the last take', () => {
    const spans = realSpans();
    const batch = new EncodedSpanBatch(new SpanEncoder());
    for (const span of spans) batch.add(span);
    batch.clear();
    expect(batch.length).toBe(0);
    batch.add(spans[0] as ReadableSpan);
    expect(hex(batch.take().bytes)).toBe(official([spans[0] as ReadableSpan]));
  });
});
