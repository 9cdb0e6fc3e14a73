import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LocalCollector, startLocalCollector } from '../test-support/local-collector.js';
import { ExportThreadTransport, startExportWorker } from './export-thread-transport.js';

const run = promisify(execFile);
const BODY = new Uint8Array(Buffer.from('an encoded ExportTraceServiceRequest'));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function collector(): Promise<LocalCollector> {
  const started = await startLocalCollector();
  cleanups.push(() => started.close());
  return started;
}

function transport(
  environment: NodeJS.ProcessEnv,
  options: { thread?: boolean; start?: (options: WorkerOptions) => Worker } = {},
): ExportThreadTransport {
  const made = new ExportThreadTransport(environment, options);
  cleanups.push(() => made.shutdown());
  return made;
}

describe('ExportThreadTransport', () => {
  it('sends from a worker thread to the collector its environment names, whatever this process’s says now', async () => {
    const { endpoint, received } = await collector();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:9');
    const threads: Worker[] = [];
    const sender = transport(
      { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      {
        start: (options) => {
          const worker = startExportWorker(options);
          threads.push(worker);
          return worker;
        },
      },
    );
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    expect(threads).toHaveLength(1); // started once, on the first export
    expect(received.map((request) => request.url)).toEqual(['/v1/traces', '/v1/traces']);
    expect(received[0]?.body.equals(Buffer.from(BODY))).toBe(true);
    expect(received[0]?.headers['content-type']).toBe('application/x-protobuf');
    expect(received[0]?.headers['user-agent']).toMatch(/^switchyard-tracing\//);
    // The caller's bytes are copied, never detached by the transfer.
    expect(BODY.byteLength).toBeGreaterThan(0);
  });

  it('applies the OTLP headers and traces endpoint variables in the worker', async () => {
    const { endpoint, received } = await collector();
    const sender = transport({
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/custom/traces`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=shop',
    });
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    expect(received[0]?.url).toBe('/custom/traces');
    expect(received[0]?.headers['x-tenant']).toBe('shop');
  });

  it('fails the exports a dying worker held, then starts a new worker for the next', async () => {
    let answer = true;
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (answer) response.writeHead(200).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    });
    const threads: Worker[] = [];
    const sender = transport(
      { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
      {
        start: (options) => {
          const worker = startExportWorker(options);
          threads.push(worker);
          return worker;
        },
      },
    );
    answer = false; // the first export hangs in the worker...
    const held = sender.send(BODY, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await threads[0]?.terminate(); // ...which dies under it
    expect(await held).toMatchObject({
      status: 'failure',
      error: { message: expect.stringContaining('export thread stopped') },
    });
    answer = true;
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    expect(threads).toHaveLength(2);
  });

  it('exports from the main thread when no worker can be started', async () => {
    const { endpoint, received } = await collector();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
    let attempts = 0;
    const sender = transport(process.env, {
      start: () => {
        attempts++;
        throw new Error('ERR_WORKER_INIT_FAILED');
      },
    });
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    expect(received).toHaveLength(2);
    expect(attempts).toBe(1); // tried once, not per export
  });

  it('sends from the calling thread, starting no worker, with thread: false', async () => {
    const { endpoint, received } = await collector();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
    const sender = transport(process.env, {
      thread: false,
      start: () => {
        throw new Error('no worker should start');
      },
    });
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    expect(received[0]?.body.equals(Buffer.from(BODY))).toBe(true);
  });

  it('refuses exports once shut down, with a clear error', async () => {
    const { endpoint } = await collector();
    const sender = transport({ ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    expect(await sender.send(BODY, 5_000)).toMatchObject({ status: 'success' });
    sender.shutdown();
    expect(await sender.send(BODY, 5_000)).toMatchObject({
      status: 'failure',
      error: { message: 'the OTLP export transport is shut down' },
    });
  });

  it('keeps a process alive while an export is in flight, and not after: a script that never awaits still exports, then exits', async () => {
    const { endpoint, received } = await collector();
    const module = fileURLToPath(new URL('./export-thread-transport.ts', import.meta.url));
    const script = `
      const { ExportThreadTransport } = await import(${JSON.stringify(module)});
      new ExportThreadTransport({ ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: ${JSON.stringify(endpoint)} })
        .send(new Uint8Array([1, 2, 3]), 5000)
        .then((result) => console.log(result.status));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('success');
    expect(received).toHaveLength(1);
  });
});
