import { type Span, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { UnsampledSpan } from './unsampled-span.js';

const CONTEXT = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 };

/** Every Span method, called with plausible arguments; what each returned. */
function callEverything(span: Span): unknown[] {
  return [
    span.setAttribute('k', 'v'),
    span.setAttributes({ k: 'v' }),
    span.addEvent('e', { k: 'v' }),
    span.addLink({ context: CONTEXT }),
    span.addLinks([{ context: CONTEXT }]),
    span.setStatus({ code: 2, message: 'x' }),
    span.updateName('n'),
    span.recordException(new Error('boom')),
    span.end(),
  ];
}

describe('UnsampledSpan', () => {
  it("behaves as the API's non-recording span: keeps its context, records nothing, chains on itself", () => {
    const ours = new UnsampledSpan(CONTEXT, true);
    const api = trace.wrapSpanContext(CONTEXT);
    const returned = callEverything(ours);
    const apiReturned = callEverything(api);
    expect(returned.map((value) => (value === ours ? 'self' : value))).toEqual(
      apiReturned.map((value) => (value === api ? 'self' : value)),
    );
    expect(ours.isRecording()).toBe(false);
    expect(ours.spanContext()).toBe(CONTEXT);
    expect(ours.spanContext()).toEqual(api.spanContext());
    // Nothing it was given stuck to it.
    expect(Object.keys(ours).sort()).toEqual(['context', 'contextValid']);
  });
});
