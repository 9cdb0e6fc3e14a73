import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type OtlpEnvironment, threadEnvironment } from './otlp-environment.js';

/** What the exporting thread is given: where to load the OpenTelemetry packages from. */
export interface ExportThreadData {
  /** The self-observability component type (the thread's own metrics go nowhere: see OffThreadSpanExporter). */
  componentType: string;
  exporterBaseNodeHttp: string;
  transformer: string;
  api: string;
}

/** Main thread → exporting thread. */
export type ToExportThread = { type: 'export'; id: number; bytes: Uint8Array };

/** An export's failure, as it crosses threads (an Error's own fields do not survive the copy). */
export interface ThreadExportError {
  name: string;
  message: string;
  /** OTLPExporterError's HTTP status, if any. */
  code?: number;
  /** OTLPExporterError's response body, if any. */
  data?: string;
}

/** Exporting thread → main thread. */
export type FromExportThread =
  | {
      type: 'result';
      id: number;
      code: number;
      error?: ThreadExportError;
      /**
       * The `error.type` the official exporter's metrics give this export's failure:
       * `export_failed` when its retries ran out (429, 502-504, a network error or a timeout up to
       * the deadline), whatever its error.
       */
      errorType?: string;
      /** The request's memory, given back (transferred) after a successful send, for the next one. */
      buffer?: ArrayBuffer;
    }
  | { type: 'diag'; level: 'error' | 'warn' | 'info'; message: string };

/**
 * The exporting thread's code. It sends requests the main thread has already encoded, through the
 * official OTLP/HTTP export delegate (the same transport, retries, timeout, concurrency limit and
 * `OTEL_EXPORTER_OTLP_*` configuration as `@opentelemetry/exporter-trace-otlp-proto`), with a
 * serializer that passes the bytes through, and connections timed out while still connecting
 * (see withConnectTimeout). Its diagnostics (retries, partial successes) are forwarded to the main
 * thread's `diag`; the main thread ends it with `terminate()` (see OffThreadSpanExporter.shutdown).
 *
 * Plain CommonJS run with `eval`, requiring packages by resolved path: the same code runs whether
 * this package is loaded from its ESM or CJS build or from source (tests), where a worker file
 * next to this module would not exist or not be runnable.
 */
const EXPORT_THREAD_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { diag, DiagLogLevel } = require(workerData.api);
const { convertLegacyHttpOptions, createOtlpHttpExportDelegate } = require(workerData.exporterBaseNodeHttp);
const { ProtobufTraceSerializer } = require(workerData.transformer);
const text = (args) => args.map((arg) => (arg instanceof Error ? arg.stack || arg.message : String(arg))).join(' ');
const forward = (level) => (...args) => parentPort.postMessage({ type: 'diag', level, message: text(args) });
diag.setLogger({ error: forward('error'), warn: forward('warn'), info: forward('info'), debug() {}, verbose() {} }, DiagLogLevel.INFO);
const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
// withConnectTimeout (trace-http-options.ts), written out here (this source cannot import it): a
// connection still being made after the export timeout fails the request, as an unanswered one
// does, instead of waiting minutes for the kernel (the request's own timeout starts at connect).
const agentFactory = options.agentFactory;
options.agentFactory = async (protocol) => {
  const agent = await agentFactory(protocol);
  const createConnection = agent.createConnection;
  agent.createConnection = function (connectOptions, ...rest) {
    return createConnection.call(this, { ...connectOptions, timeout: connectOptions.timeout ?? options.timeoutMillis }, ...rest);
  };
  return agent;
};
// The error.type the delegate's own metrics give each export (recorded just before it reports the
// result): the main thread records the metrics, and a failure whose retries ran out is counted
// there as 'export_failed', as the official exporter counts it, not by its error's name.
let errorType;
const errorTypeReader = {
  getMeter: () => ({
    createUpDownCounter: () => ({ add() {} }),
    createCounter: () => ({ add(_count, attributes) { errorType = attributes['error.type']; } }),
    createHistogram: () => ({ record() {} }),
  }),
};
const delegate = createOtlpHttpExportDelegate(
  options,
  { serializeRequest: (bytes) => bytes, deserializeResponse: (body) => ProtobufTraceSerializer.deserializeResponse(body) },
  workerData.componentType,
  { name: 'span', countItems: () => 0 },
  errorTypeReader,
);
parentPort.on('message', (message) => {
  if (message.type === 'export') {
    delegate.export(message.bytes, (result) => {
      const error = result.error;
      const metricsErrorType = errorType;
      errorType = undefined;
      // Sent and answered, so no write still reads it: the memory goes back for the next request.
      // After a failure (a timeout may leave a write behind) it is left to the garbage collector.
      const buffer = error === undefined && result.code === 0 ? message.bytes.buffer : undefined;
      parentPort.postMessage({
        type: 'result',
        id: message.id,
        code: result.code,
        error: error === undefined ? undefined : {
          name: String(error.name),
          message: String(error.message),
          code: typeof error.code === 'number' ? error.code : undefined,
          data: typeof error.data === 'string' ? error.data : undefined,
        },
        errorType: metricsErrorType,
        buffer,
      }, buffer === undefined ? [] : [buffer]);
    });
  }
  // No shutdown message: the main thread ends this thread once every export is settled (see
  // OffThreadSpanExporter.shutdown).
});
`;

/** Where this module is: the CJS build has `__filename`, the ESM build and the source `import.meta.url`. */
function thisModule(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** Starts the exporting thread (its owner unrefs it once listening: see OffThreadSpanExporter). */
export function startExportThread(componentType: string, otlp: OtlpEnvironment): Worker {
  const resolve = createRequire(thisModule()).resolve;
  const workerData: ExportThreadData = {
    componentType,
    exporterBaseNodeHttp: resolve('@opentelemetry/otlp-exporter-base/node-http'),
    transformer: resolve('@opentelemetry/otlp-transformer'),
    api: resolve('@opentelemetry/api'),
  };
  // None of the process's own flags or NODE_OPTIONS (a thread runs NODE_OPTIONS' preloads unless
  // its env leaves it out): `--input-type=module` made the source ESM (require undefined), and
  // preloads (--require, --import: instrumentations, a second SDK) have no business here. Its
  // OTLP variables are those initTracing() took (see OtlpEnvironment).
  return new Worker(EXPORT_THREAD_SOURCE, {
    eval: true,
    workerData,
    execArgv: [],
    env: threadEnvironment(otlp),
    name: 'switchyard-otlp-export',
  });
}
