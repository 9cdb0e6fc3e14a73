import type { IncomingMessage, ServerResponse } from 'node:http';

/** Ready or not, and draining: what `/readyz` reports. */
export class ReadinessState {
  private ready = false;
  private isDraining = false;

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  drain(): void {
    this.isDraining = true;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  get serving(): boolean {
    return this.ready && !this.isDraining;
  }
}

/**
 * Serves `/healthz` (200 while the process lives) and `/readyz` (200 when ready, 503 while starting
 * or draining) before handing every other request to `handler` (404 when there is none).
 */
export function httpHealthHandler(
  readiness: ReadinessState,
  handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = request.url?.split('?')[0];
    if (path === '/healthz') return reply(response, 200, 'ok');
    if (path === '/readyz')
      return readiness.serving
        ? reply(response, 200, 'ready')
        : reply(response, 503, readiness.draining ? 'draining' : 'starting');
    if (handler) return handler(request, response);
    reply(response, 404, 'not found');
  };
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(body);
}
