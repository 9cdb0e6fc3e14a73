import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { collectableMeterProvider } from '../test-support/collectable-meter-provider.js';
import { observeCallPolicy } from './policy-metrics.js';

afterEach(() => {
  metrics.disable();
});

/** A stand-in for one event of a policy: its listeners, and a way to fire it. */
function event<T>(): { on: (listener: (value: T) => void) => { dispose(): void }; fire(value: T): void } {
  const listeners = new Set<(value: T) => void>();
  return {
    on: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    fire: (value) => {
      for (const listener of listeners) listener(value);
    },
  };
}

describe('observeCallPolicy', () => {
  it("counts the breaker's refusals under the client's service, until unsubscribed", async () => {
    const { provider, read } = collectableMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const stateChange = event<{ to: string }>();
    const reject = event<{ key: string | undefined }>();
    const stop = observeCallPolicy({ 'rpc.service': 'shop.Catalog' }, undefined, {
      onStateChange: stateChange.on,
      onReject: reject.on,
    });
    stateChange.fire({ to: 'open' });
    reject.fire({ key: undefined });
    reject.fire({ key: undefined });
    stop();
    reject.fire({ key: undefined });
    // Before: refusals were counted nowhere, so an open breaker's CIRCUIT_OPEN failures (which
    // reach no instance, hence no duration sample) did not show in any metric.
    expect((await read())['switchyard.circuit_breaker.rejections']).toEqual({ '{"rpc.service":"shop.Catalog"}': 2 });
    // A breaker of one's own without onReject is still observed for its transitions.
    const own = event<{ to: string }>();
    observeCallPolicy({ 'rpc.service': 'shop.Orders' }, undefined, { onStateChange: own.on })();
    await provider.shutdown();
  });
});
