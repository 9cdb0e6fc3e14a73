import { assertInteger, InvalidArgumentError } from '@switchyard/core';
import { readEnv } from './env.js';

/** How a batch span processor queues and sends spans: the specification's `OTEL_BSP_*` settings. */
export interface BatchSettings {
  /** Spans waiting to be sent, at most; more are dropped (and counted in a warning). */
  readonly maxQueueSize: number;
  /** Spans per export request, at most. */
  readonly maxExportBatchSize: number;
  /** How long a batch that is not full waits before it is sent, in ms. */
  readonly scheduledDelayMillis: number;
  /** How long an export may run before the next one may start, in ms. */
  readonly exportTimeoutMillis: number;
}

/** The specification's defaults, which the SDK's BatchSpanProcessor uses too. */
export const DEFAULT_BATCH_SETTINGS: BatchSettings = Object.freeze({
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 5000,
  exportTimeoutMillis: 30000,
});

// Timers cannot wait longer than this (a Node timer past it fires after 1 ms).
const MAX_MILLIS = 2 ** 31 - 1;

function integerFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = readEnv(name);
  if (raw === undefined) return fallback;
  // Digits only: Number() would also take ' 1e3 ', '0x10' and '' as numbers.
  const value: unknown = /^\d+$/.test(raw) ? Number(raw) : raw;
  assertInteger(name, value, min, max);
  return value;
}

/**
 * The batch settings from `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`,
 * `OTEL_BSP_SCHEDULE_DELAY` and `OTEL_BSP_EXPORT_TIMEOUT`, each defaulting as the specification
 * says. A value that is not a whole number in range, or a batch larger than the queue, is
 * INVALID_ARGUMENT naming the variable (the SDK would warn and carry on with its default).
 */
export function batchSettingsFromEnv(): BatchSettings {
  const maxQueueSize = integerFromEnv('OTEL_BSP_MAX_QUEUE_SIZE', DEFAULT_BATCH_SETTINGS.maxQueueSize, 1, 1_000_000);
  const maxExportBatchSize = integerFromEnv(
    'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
    Math.min(DEFAULT_BATCH_SETTINGS.maxExportBatchSize, maxQueueSize),
    1,
    1_000_000,
  );
  if (maxExportBatchSize > maxQueueSize) {
    throw new InvalidArgumentError(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
      `must not exceed OTEL_BSP_MAX_QUEUE_SIZE (${maxQueueSize}), got ${maxExportBatchSize}`,
    );
  }
  return {
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: integerFromEnv(
      'OTEL_BSP_SCHEDULE_DELAY',
      DEFAULT_BATCH_SETTINGS.scheduledDelayMillis,
      0,
      MAX_MILLIS,
    ),
    exportTimeoutMillis: integerFromEnv(
      'OTEL_BSP_EXPORT_TIMEOUT',
      DEFAULT_BATCH_SETTINGS.exportTimeoutMillis,
      1,
      MAX_MILLIS,
    ),
  };
}
