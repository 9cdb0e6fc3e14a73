/**
 * The export thread (see export-thread-transport.ts): receives encoded OTLP requests from the
 * application's main thread and sends them to the collector, with the official exporters'
 * retries. Its environment is the main thread's as it was when the exporter was created, so it
 * reads the same `OTEL_EXPORTER_OTLP_*` configuration the official exporter would have.
 */
import { parentPort } from 'node:worker_threads';
import { type ExportRequestMessage, type ExportResultMessage, serializeResult } from './export-thread-messages.js';
import { sendOtlpHttp } from './otlp-http-send.js';
import type { OtlpHttpTarget } from './otlp-http-send.js';
import { resolveOtlpHttpTarget } from './otlp-http-target.js';
import { sendWithRetries } from './retrying-send.js';

if (parentPort === null) throw new Error('export-thread-worker runs as a worker thread only');
const port = parentPort;
let target: Promise<OtlpHttpTarget> | undefined;

port.on('message', (message: ExportRequestMessage) => {
  target ??= resolveOtlpHttpTarget();
  const body = new Uint8Array(message.body);
  target
    .then((resolved) => sendWithRetries((timeout) => sendOtlpHttp(resolved, body, timeout), message.timeoutMillis))
    .catch((error: unknown) => ({
      status: 'failure' as const,
      error: error instanceof Error ? error : new Error(String(error)),
    }))
    .then((result) => {
      const reply: ExportResultMessage = { id: message.id, result: serializeResult(result) };
      port.postMessage(reply);
    });
});
