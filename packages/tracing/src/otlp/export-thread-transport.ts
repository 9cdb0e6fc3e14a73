import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { deserializeResult, type ExportRequestMessage, type ExportResultMessage } from './export-thread-messages.js';
import { type OtlpHttpTarget, sendOtlpHttp } from './otlp-http-send.js';
import { resolveOtlpHttpTarget } from './otlp-http-target.js';
import { sendWithRetries } from './retrying-send.js';

/**
 * Starts the export thread. Built, its code is `export-thread-worker.js` next to this module's
 * chunk in `dist` (both builds: the package is ESM, so the CommonJS build starts the ESM worker
 * too). Run from TypeScript source (this repository's tests, and the demo under tsx), it is the
 * `.ts` file, which a worker cannot load through its parent's loader on Node 20, so a one-line
 * bootstrap registers tsx's CommonJS hook in the worker first.
 */
export function startExportWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./export-thread-worker.js', import.meta.url), options);
  const require = createRequire(import.meta.url);
  const source = fileURLToPath(new URL('./export-thread-worker.ts', import.meta.url));
  const hook = pathToFileURL(require.resolve('tsx/cjs')).href;
  // Dynamic imports only, so the bootstrap runs whether the worker reads eval code as CommonJS or
  // as ESM (it inherits the parent's --input-type).
  const bootstrap = `import(${JSON.stringify(hook)}).then(() => import('node:module')).then(({ createRequire }) => createRequire(${JSON.stringify(source)})(${JSON.stringify(source)}));`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * An OTLP exporter transport that sends from a worker thread (export-thread-worker.ts), so the
 * application's event loop never builds, writes or reads an export request: it hands the encoded
 * bytes over (one copy, then a transfer) and gets the outcome back, after the worker's retries.
 * In `pnpm bench:http` this took ~4 µs per traced call off the client's event loop (see the
 * README). Pino ships logs from a worker thread for the same reason.
 *
 * The worker starts with the first export (a process that never exports never starts one), sees
 * the environment as it was when the transport was made, and does not keep the process alive
 * while idle; an export in flight does, as the official exporter's socket would. If the worker
 * dies, the exports it held fail (the batch processor reports them) and the next export starts a
 * new one. If no worker can be started at all, exports are sent from the main thread, the same
 * way, rather than lost; `thread: false` (`SWITCHYARD_OTLP_EXPORT_THREAD=false`) does that by choice.
 */
export class ExportThreadTransport implements IExporterTransport {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (response: ExportResponse) => void>();
  private nextId = 0;
  private closed = false;
  private inThread: Promise<OtlpHttpTarget> | undefined;

  private readonly thread: boolean;
  private readonly start: (options: WorkerOptions) => Worker;

  /**
   * @param environment the worker's `process.env`, where it reads its configuration.
   * @param options `thread: false` sends from the calling thread instead (the same send and retries);
   *   `start` starts the worker (replaceable in tests).
   */
  constructor(
    private readonly environment: NodeJS.ProcessEnv,
    options: { thread?: boolean; start?: (options: WorkerOptions) => Worker } = {},
  ) {
    this.thread = options.thread ?? true;
    this.start = options.start ?? startExportWorker;
  }

  send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (this.closed) {
      return Promise.resolve({ status: 'failure', error: new Error('the OTLP export transport is shut down') });
    }
    if (!this.thread || this.inThread !== undefined) return this.sendInThread(data, timeoutMillis);
    let worker: Worker;
    try {
      worker = this.worker ?? this.startWorker();
    } catch (error) {
      diag.warn('@switchyard/tracing: cannot start the OTLP export thread; exporting from the main thread', error);
      return this.sendInThread(data, timeoutMillis);
    }
    // A copy the worker can own. The encoder's bytes are a view into a larger buffer (a Buffer's
    // may be Node's shared pool), and a Buffer's own slice() is a view too: copy as a Uint8Array.
    const body = Uint8Array.prototype.slice.call(data).buffer;
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, resolve);
      if (this.pending.size === 1) worker.ref();
      const message: ExportRequestMessage = { id, body, timeoutMillis };
      worker.postMessage(message, [body]);
    });
  }

  shutdown(): void {
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    this.stopped(worker, new Error('the OTLP export transport was shut down'));
    void worker.terminate();
  }

  private startWorker(): Worker {
    const worker = this.start({ env: this.environment, name: 'switchyard-otlp-export' });
    worker.unref();
    worker.on('message', (message: ExportResultMessage) => {
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      resolve?.(deserializeResult(message.result));
    });
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) => this.stopped(worker, new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** The worker is gone: what it held fails, and the next export starts another. */
  private stopped(worker: Worker, cause: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const error = new Error(`the OTLP export thread stopped: ${cause.message}`, { cause });
    for (const resolve of this.pending.values()) resolve({ status: 'failure', error });
    this.pending.clear();
  }

  /**
   * Without a worker (by choice, or when none can start): the same send and retries on this thread.
   * The configuration is read from this process's environment, when the first export is sent.
   */
  private async sendInThread(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    this.inThread ??= resolveOtlpHttpTarget();
    try {
      const target = await this.inThread;
      return await sendWithRetries((timeout) => sendOtlpHttp(target, data, timeout), timeoutMillis);
    } catch (error) {
      return { status: 'failure', error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
}
