/**
 * The demo's fallback when no Redis can be had at all: every service in this one process, on the
 * in-memory registry `memory://shopping-guide`, traced into memory. The "kill" is a simulated crash
 * (servers closed at once, no deregistration), which callers must survive just the same.
 */
import { startCatalog } from '@shopping-guide/catalog';
import { startGateway } from '@shopping-guide/gateway';
import { startOrders } from '@shopping-guide/orders';
import { startRecommendation } from '@shopping-guide/recommendation';
import { startSearch } from '@shopping-guide/search';
import type { RunningService } from '@switchyard/service';
import { initTracing } from '@switchyard/tracing';
import type { ReceivedSpan } from './otlp-receiver.js';

export interface InProcessFleet {
  readonly services: RunningService[];
  readonly spans: () => ReceivedSpan[];
  stop(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export async function startInProcess(replicas: readonly [string, number][]): Promise<InProcessFleet> {
  process.env.SWITCHYARD_LISTEN_HOST = '127.0.0.1';
  process.env.SWITCHYARD_ADVERTISE_HOST = '127.0.0.1';
  process.env.GRPC_PORT = '0';
  process.env.HTTP_PORT = '0';
  const tracing = initTracing({ serviceName: 'shopping-guide', exporter: 'memory' });
  const common = {
    registry: 'memory://shopping-guide',
    tracing: false as const,
    handleSignals: false,
    drainDelayMs: 200,
    logger: silent,
  };
  const starters: Record<string, () => Promise<RunningService>> = {
    catalog: () => startCatalog(common),
    search: () => startSearch(common),
    recommendation: () => startRecommendation(common),
    orders: () => startOrders(common),
    gateway: () => startGateway(common),
  };
  const services: RunningService[] = [];
  for (const [name, count] of replicas)
    for (let index = 0; index < count; index++)
      services.push(await (starters[name] as () => Promise<RunningService>)());
  return {
    services,
    spans: () =>
      tracing.getFinishedSpans().map((span) => ({
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId ?? '',
        name: span.name,
        kind: span.kind + 1, // OTLP numbering: SERVER 2, CLIENT 3
        service: span.attributes['rpc.service']
          ? (String(span.attributes['rpc.service']).split('.')[1] ?? 'gateway')
          : 'gateway',
        instance: 'in-process',
        startMs: span.startTime[0] * 1_000 + span.startTime[1] / 1e6,
        endMs: span.endTime[0] * 1_000 + span.endTime[1] / 1e6,
        statusCode: span.status.code,
        attributes: span.attributes as ReceivedSpan['attributes'],
      })),
    async stop() {
      for (const service of [...services].reverse()) await service.stop().catch(() => undefined);
      await tracing.shutdown();
    },
  };
}
