import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Registry } from '@switchyard/registry';
import type { LeaseInspector } from '../registry/lease-inspector.js';
import { renderPage } from './page.js';
import { type HubChange, ServiceHub } from './service-hub.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  readonly registry: Registry;
  /** Reads instance ages and lease expiry from Redis; without it those columns show `-`. */
  readonly inspector?: LeaseInspector | undefined;
  /** @default 7070; 0 picks a free port */
  readonly port?: number;
  /** Interface to bind. Anything but loopback exposes the registry's contents to the network. @default '127.0.0.1' */
  readonly host?: string;
  /** Shown in the page title and header, e.g. the (password-masked) registry URL. @default '' */
  readonly title?: string;
  /** @default 1_000 */
  readonly servicesPollMs?: number;
  /** @default 2_000 */
  readonly leaseRefreshMs?: number;
  /** SSE keep-alive comment interval. @default 15_000 */
  readonly keepAliveMs?: number;
}

/** Defaults of {@link DashboardOptions}. */
export const DEFAULT_DASHBOARD_OPTIONS = Object.freeze({
  port: 7070,
  host: '127.0.0.1',
  title: '',
  keepAliveMs: 15_000,
});

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  /** Ends every event stream, stops the watches and the server. */
  close(): Promise<void>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Serves the live dashboard: `GET /` (the page), `GET /events` (Server-Sent Events: `snapshot`
 * first, then `service` / `removed` / `status`), `GET /api/services` and `GET /api/services/<name>`
 * (JSON), `GET /healthz`. Read-only: nothing on it changes the registry.
 *
 * On a loopback address, requests whose `Host` header names another host are refused (403), so a
 * web page elsewhere cannot read the registry through DNS rebinding.
 *
 * @throws REGISTRY_UNAVAILABLE when the registry cannot be read at start.
 * @example
 * ```ts
 * const dashboard = await startDashboard({ registry: createRegistry(url), port: 7070 });
 * console.log(dashboard.url);
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const resolved = { ...DEFAULT_DASHBOARD_OPTIONS, ...options };
  const hub = new ServiceHub({
    registry: options.registry,
    inspector: options.inspector,
    ...(options.servicesPollMs === undefined ? {} : { servicesPollMs: options.servicesPollMs }),
    ...(options.leaseRefreshMs === undefined ? {} : { leaseRefreshMs: options.leaseRefreshMs }),
  });
  await hub.start();
  const streams = new Set<ServerResponse>();
  const loopback = isLoopback(resolved.host);

  const server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch {
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.end();
    }
  });

  function handle(request: IncomingMessage, response: ServerResponse): void {
    if (loopback && !allowedHost(request.headers.host, resolved.host)) {
      sendJson(response, 403, { error: 'this dashboard answers only to loopback host names' });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: 'read-only: GET only' });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
    if (path === '/' || path === '/index.html') {
      sendPage(response, resolved.title);
      return;
    }
    if (path === '/events') {
      openStream(request, response);
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      response.end('ok\n');
      return;
    }
    if (path === '/api/services') {
      sendJson(response, 200, snapshot());
      return;
    }
    const match = /^\/api\/services\/([^/]+)$/.exec(path);
    if (match) {
      const view = hub.view(decodeURIComponent(match[1] as string));
      if (view) sendJson(response, 200, view);
      else sendJson(response, 404, { error: 'no such service' });
      return;
    }
    sendJson(response, 404, { error: 'not found' });
  }

  function snapshot() {
    return { generatedAt: new Date().toISOString(), registryError: hub.lastRegistryError, services: hub.views() };
  }

  function openStream(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...SECURITY_HEADERS,
    });
    response.write('retry: 2000\n\n');
    response.write(sseEvent('snapshot', snapshot()));
    streams.add(response);
    const unsubscribe = hub.onChange((change) => response.write(sseChange(change)));
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), resolved.keepAliveMs);
    keepAlive.unref();
    const end = (): void => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(response);
    };
    request.on('close', end);
    response.on('error', end);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error) => {
    await hub.close();
    throw error;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : resolved.port;
  const hostForUrl = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}/`,
    port,
    close: () => {
      closing ??= (async () => {
        for (const stream of streams) stream.end();
        streams.clear();
        await hub.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

const SECURITY_HEADERS = Object.freeze({
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});

function sendPage(response: ServerResponse, title: string): void {
  const nonce = randomBytes(16).toString('base64');
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    ...SECURITY_HEADERS,
  });
  response.end(renderPage({ nonce, title }));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  response.end(`${JSON.stringify(body)}\n`);
}

/** One SSE event. JSON never contains a raw newline, so `data:` is a single line. */
function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function sseChange(change: HubChange): string {
  switch (change.type) {
    case 'service':
      return sseEvent('service', change.view);
    case 'removed':
      return sseEvent('removed', { service: change.service });
    case 'status':
      return sseEvent('status', { registryError: change.registryError });
  }
}

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The Host header names a loopback address or the bound host itself (any port). */
function allowedHost(header: string | undefined, boundHost: string): boolean {
  if (!header) return false;
  const hostname = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0];
  return hostname !== undefined && (isLoopback(hostname) || hostname === boundHost);
}
