import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { type DashboardOptions, resolveDashboardOptions } from './dashboard-options.js';
import { renderPage } from './page.js';
import { type HubChange, ServiceHub } from './service-hub.js';

export { DEFAULT_DASHBOARD_OPTIONS, type DashboardOptions } from './dashboard-options.js';

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
 * Whatever it is bound to, a request whose `Host` header is not a loopback name, an IP address,
 * the bound host or one of `allowedHosts` is refused (403), so a web page elsewhere cannot read
 * the registry through DNS rebinding. Event streams are capped (`maxStreams`), and one whose
 * client stopped reading is closed once `maxStreamBufferBytes` are queued for it.
 *
 * @throws INVALID_ARGUMENT naming the option for a bad one; REGISTRY_UNAVAILABLE when the service
 *   list cannot be read at start (a service that cannot be watched is left out, logged at warn level).
 * @example
 * ```ts
 * const dashboard = await startDashboard({ registry: createRegistry(url), port: 7070 });
 * console.log(dashboard.url);
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const resolved = resolveDashboardOptions(options);
  const hub = new ServiceHub({
    registry: resolved.registry,
    inspector: resolved.inspector,
    servicesPollMs: resolved.servicesPollMs,
    leaseRefreshMs: resolved.leaseRefreshMs,
    logger: resolved.logger,
  });
  // A start that fails partway (the registry drops while the first watches open) must not leave
  // the watches that did open running on a registry the caller keeps.
  await hub.start().catch(async (error: unknown) => {
    await hub.close();
    throw error;
  });
  const streams = new Set<ServerResponse>();
  const allowedNames = new Set([resolved.host, ...resolved.allowedHosts].map((name) => name.toLowerCase()));

  const server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch {
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.end();
    }
  });

  function handle(request: IncomingMessage, response: ServerResponse): void {
    // Whatever address it is bound to: a rebinding attack reaches it under a DNS name of the attacker's.
    if (!allowedHost(request.headers.host, allowedNames)) {
      sendJson(response, 403, {
        error: 'this dashboard answers only to loopback names, IP addresses and its allowed host names',
      });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: 'read-only: GET only' });
      return;
    }
    const path = requestPath(request.url);
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
      const view = hub.view(decodeSegment(match[1] as string));
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
    if (streams.size >= resolved.maxStreams) {
      response.setHeader('retry-after', '5');
      sendJson(response, 503, { error: `too many event streams open (${resolved.maxStreams})` });
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...SECURITY_HEADERS,
    });
    // HEAD gets the headers only: Node sends nothing, headers included, for a write to a HEAD
    // response, so the client would wait forever while holding one of the stream slots.
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    response.write('retry: 2000\n\n');
    response.write(sseEvent('snapshot', snapshot()));
    streams.add(response);
    // A client that stops reading (a suspended tab, `curl | sleep`) would have every change queued
    // for it in memory without bound: past the limit it is cut off (an EventSource reconnects and
    // starts again from a snapshot).
    const send = (text: string): void => {
      if (response.writableLength > resolved.maxStreamBufferBytes) {
        end();
        response.destroy();
        return;
      }
      response.write(text);
    };
    const unsubscribe = hub.onChange((change) => send(sseChange(change)));
    const keepAlive = setInterval(() => send(': keep-alive\n\n'), resolved.keepAliveMs);
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
        // The server closes alongside the hub, not after it: the hub's clean-up waits on the
        // registry (a hung one for its command timeout), and the port stayed open meanwhile.
        const serverClosed = new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await Promise.all([hub.close(), serverClosed]);
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

/**
 * The path of a request target, dot segments resolved. The target is a path (`/x?q`), never a URL
 * reference: resolved against a base, `//x/y` named host x and path /y, so `//` failed to parse (a
 * 500) and `//events` or `//x/api/services` answered as `/` and `/api/services`. Appended to an
 * origin instead, `//events` stays the path `//events` (404). An absolute-form target
 * (`http://host/x`, sent to proxies) is read as the URL it is.
 */
function requestPath(target: string | undefined): string {
  const text = target ?? '/';
  try {
    return (text.startsWith('/') ? new URL(`http://dashboard${text}`) : new URL(text)).pathname;
  } catch {
    return ''; // not a target this server has: 404
  }
}

/** A %-decoded path segment; a malformed escape names no service (404, not a 500). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * The Host header (any port) names a loopback name, an IP address (which no DNS answer can
 * rebind), or one of `names` (the bound host and the allowed host names).
 */
function allowedHost(header: string | undefined, names: ReadonlySet<string>): boolean {
  if (!header) return false;
  const hostname = (
    header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : (header.split(':')[0] ?? '')
  ).toLowerCase();
  const address = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isLoopback(hostname) || isIP(address) !== 0 || names.has(hostname) || names.has(address);
}
