import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { type CollectedMetrics, collectableMeterProvider } from '../test-support/collectable-meter-provider.js';
import { GlobalFollowingMeterProvider, rebindFollowingMeters } from './global-following-meter-provider.js';

const made: GlobalFollowingMeterProvider[] = [];
afterEach(() => {
  // Else the meters of one test follow the next test's provider, totals and all.
  for (const provider of made.splice(0)) provider.close();
  metrics.disable();
});

function following(): GlobalFollowingMeterProvider {
  const provider = new GlobalFollowingMeterProvider();
  made.push(provider);
  return provider;
}

/** A MeterProvider registered globally and read on demand: metric name → attribute set → value. */
function globalProvider(): { read(): Promise<CollectedMetrics> } {
  const { provider, read } = collectableMeterProvider();
  metrics.setGlobalMeterProvider(provider);
  return { read };
}

describe('GlobalFollowingMeterProvider', () => {
  it('carries totals, last values and callbacks recorded before a provider is registered over to it', async () => {
    const meter = following().getMeter('test');
    const counter = meter.createCounter('done');
    const level = meter.createUpDownCounter('level');
    const gauge = meter.createGauge('last');
    const histogram = meter.createHistogram('took');
    const observed = meter.createObservableUpDownCounter('queue');
    counter.add(2, { kind: 'a' });
    counter.add(3, { kind: 'a' });
    counter.add(1, { kind: 'b' });
    level.add(5);
    level.add(-2);
    gauge.record(7);
    gauge.record(9);
    histogram.record(1); // before: not carried over
    observed.addCallback((result) => result.observe(42));
    const provider = globalProvider();
    rebindFollowingMeters();
    histogram.record(4);
    const values = await provider.read();
    expect(values.done).toEqual({ '{"kind":"a"}': 5, '{"kind":"b"}': 1 });
    expect(values.level).toEqual({ '{}': 3 });
    expect(values.last).toEqual({ '{}': 9 });
    expect(values.queue).toEqual({ '{}': 42 });
    expect(values.took?.['{}']).toMatchObject({ count: 1 });
  });

  it('follows a provider that replaces the global one at the next recording, or at once through rebindFollowingMeters', async () => {
    const meter = following().getMeter('test');
    const counter = meter.createCounter('done');
    const observed = meter.createObservableGauge('size');
    let size = 1;
    observed.addCallback((result) => result.observe(size));
    const first = globalProvider();
    counter.add(1);
    expect((await first.read()).done).toEqual({ '{}': 1 });
    metrics.disable();
    const second = globalProvider();
    // Observables never record on their own: this is what initMetrics calls.
    rebindFollowingMeters();
    size = 2;
    expect((await second.read()).size).toEqual({ '{}': 2 });
    counter.add(1);
    expect((await second.read()).done).toEqual({ '{}': 2 });
    // The first provider no longer calls the callback: it keeps the value it last saw (and no count).
    expect((await first.read()).size).toEqual({ '{}': 1 });
    expect((await first.read()).done).toEqual({ '{}': 1 });
  });

  it('adapts batch observable callbacks to the instruments of the current provider', async () => {
    const meter = following().getMeter('test');
    const a = meter.createObservableCounter('a');
    const b = meter.createObservableGauge('b');
    let calls = 0;
    meter.addBatchObservableCallback(
      (result) => {
        calls++;
        result.observe(a, 10 * calls);
        result.observe(b, 20);
      },
      [a, b],
    );
    const first = globalProvider();
    rebindFollowingMeters();
    const values = await first.read();
    expect(values.a).toEqual({ '{}': 10 });
    expect(values.b).toEqual({ '{}': 20 });
    metrics.disable();
    const second = globalProvider();
    rebindFollowingMeters();
    expect((await second.read()).a).toEqual({ '{}': 20 });
    // Moved, not copied: the first provider no longer calls it.
    await first.read();
    expect(calls).toBe(2);
  });

  it('stops following once closed: a later provider never sees the totals of components that are gone', async () => {
    const followed = following();
    const counter = followed.getMeter('test').createCounter('done');
    counter.add(3);
    followed.close();
    const provider = globalProvider();
    rebindFollowingMeters();
    counter.add(1);
    expect((await provider.read()).done).toBeUndefined();
  });
});
