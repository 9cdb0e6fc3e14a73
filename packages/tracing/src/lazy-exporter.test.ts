import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect, it } from 'vitest';
import { LazySpanExporter } from './lazy-exporter.js';

it('reports a loaded exporter that throws from export() as a failed export, not an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    // Spans handed over while the exporter still loads; its export() then throws synchronously.
    const lazy = new LazySpanExporter(
      async () => ({
        export() {
          throw new Error('cannot encode');
        },
        shutdown: async () => {},
      }),
      'throwing',
    );
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      lazy.export([] as ReadableSpan[], resolve),
    );
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBe('cannot encode');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', record);
  }
});
