import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from './otlp-receiver.js';
import { killProblems, percentile } from './report.js';

const KILLED = 40_001;
const OTHER = 40_002;
const KILL_AT = 10_000;

/** A client span of a catalog call to `port` starting at `startMs`. */
function call(port: number, startMs: number, failed = false): ReceivedSpan {
  return {
    traceId: 't',
    spanId: `${port}-${startMs}`,
    parentSpanId: '',
    name: 'shop.catalog.v1.CatalogService/GetProduct',
    kind: 3,
    service: 'gateway',
    instance: 'gateway-1',
    startMs,
    endMs: startMs + 5,
    statusCode: failed ? 2 : 0,
    attributes: { 'server.port': port },
  };
}

describe('the demo verdict on the kill', () => {
  it('passes when the killed replica served before its death and only the others after it', () => {
    const spans = [call(KILLED, 9_000), call(OTHER, 9_500), call(KILLED, 10_200, true), call(OTHER, 12_000)];
    expect(killProblems(spans, KILLED, KILL_AT)).toEqual([]);
  });

  it('fails when the killed replica still served after its death', () => {
    const spans = [call(KILLED, 9_000), call(KILLED, 12_000)];
    expect(killProblems(spans, KILLED, KILL_AT)).toEqual(['the killed replica served 1 calls after its death']);
  });

  it('fails, rather than passes, without the evidence to judge by', () => {
    // No spans at all: the trace export is broken, so nothing shows the replica dropped out.
    expect(killProblems([], KILLED, KILL_AT)).toEqual([
      'the killed catalog replica served no traced call before its death',
      'no successful catalog call was traced after the kill (are spans exported?)',
    ]);
    // The killed replica never had traffic: its absence afterwards shows nothing.
    expect(killProblems([call(OTHER, 9_000), call(OTHER, 12_000)], KILLED, KILL_AT)).toEqual([
      'the killed catalog replica served no traced call before its death',
    ]);
    expect(killProblems([call(KILLED, 9_000)], KILLED, Number.POSITIVE_INFINITY)).toEqual(['the kill did not happen']);
  });
});

describe('the demo percentiles', () => {
  it('are nearest-rank: the smallest value with at least that share of the values at or below it', () => {
    const hundred = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99); // was 100, the maximum
    expect(percentile([1, 2], 0.5)).toBe(1); // was 2
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
  });
});
