/** A client of the echo replicas, as a user would build one, with its policy's events counted. */
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { createGrpcClient, type GrpcClient } from '@switchyard/grpc';
import type { Registry } from '@switchyard/registry';
import {
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  type CircuitState,
  circuitBreaker,
  compose,
  type RetryOptions,
  type RetryPolicy,
  retry,
} from '@switchyard/resilience';
import { EchoService } from './echo-definition.js';

export interface EchoClient {
  readonly discovery: Discovery;
  readonly client: GrpcClient<typeof EchoService>;
  readonly retryPolicy: RetryPolicy;
  readonly breaker: CircuitBreakerPolicy;
  /** When each retry was decided (onRetry). */
  readonly retries: number[];
  /** Every breaker state change, with its time. */
  readonly breakerChanges: { at: number; from: CircuitState; to: CircuitState }[];
  close(): Promise<void>;
}

export function echoClient(
  registry: Registry,
  options: { balancer?: string; retry?: RetryOptions; breaker?: CircuitBreakerOptions; service?: string } = {},
): EchoClient {
  const discovery = createDiscovery({
    registry,
    service: options.service ?? 'echo',
    balancer: options.balancer ?? 'p2c-ewma',
  });
  const retryPolicy = retry(options.retry);
  const breaker = circuitBreaker(options.breaker);
  const retries: number[] = [];
  const breakerChanges: EchoClient['breakerChanges'] = [];
  retryPolicy.onRetry(() => retries.push(Date.now()));
  breaker.onStateChange(({ from, to }) => breakerChanges.push({ at: Date.now(), from, to }));
  const client = createGrpcClient({
    definition: EchoService,
    discovery,
    policy: compose(retryPolicy, breaker),
    tracing: false,
  });
  return {
    discovery,
    client,
    retryPolicy,
    breaker,
    retries,
    breakerChanges,
    async close() {
      await client.close();
      await discovery.close();
    },
  };
}

/**
 * Counts what the registry tells watchers about `service` from now on: `down` events by reason,
 * and snapshots that leave out any of the `live` instances (which never stopped).
 */
export async function watchRegistryEvents(
  registry: Registry,
  service: string,
  live: readonly string[],
): Promise<{ figures(): Record<string, number>; stop(): Promise<void> }> {
  const counts = { downExpired: 0, downDeregistered: 0, snapshotsMissingLive: 0 };
  let first = true;
  const stop = await registry.watch(service, (event) => {
    if (event.type === 'down') {
      if (event.reason === 'expired') counts.downExpired++;
      else counts.downDeregistered++;
    } else if (event.type === 'snapshot') {
      if (first) first = false;
      else if (!live.every((id) => event.instances.some((instance) => instance.id === id)))
        counts.snapshotsMissingLive++;
    }
  });
  return { figures: () => ({ ...counts }), stop };
}
