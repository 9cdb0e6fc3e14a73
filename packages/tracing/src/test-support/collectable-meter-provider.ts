import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** Metric name → JSON of a data point's attributes → its value. */
export type CollectedMetrics = Record<string, Record<string, unknown>>;

/** A MeterProvider (not registered) whose metrics a test reads on demand. */
export function collectableMeterProvider(): { provider: MeterProvider; read(): Promise<CollectedMetrics> } {
  const reader = new (class extends MetricReader {
    protected async onForceFlush(): Promise<void> {}
    protected async onShutdown(): Promise<void> {}
  })();
  return {
    provider: new MeterProvider({ readers: [reader] }),
    read: async () => {
      const { resourceMetrics } = await reader.collect();
      const values: CollectedMetrics = {};
      for (const found of resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)) {
        const points: Record<string, unknown> = {};
        values[found.descriptor.name] = points;
        for (const point of found.dataPoints as { attributes: object; value: unknown }[]) {
          points[JSON.stringify(point.attributes)] = point.value;
        }
      }
      return values;
    },
  };
}
