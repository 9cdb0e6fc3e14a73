import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';

/**
 * Makes the request's events ('data', 'end', 'error', 'close'…) run in the async context current
 * now, called inside the call's run(): its trace, deadline and propagation headers (internal). A
 * body that arrives after the handler returned is emitted from the socket's own context, where
 * they are all lost: an outgoing call made in `request.on('end', …)` started a new trace, with the
 * client's default deadline. One AsyncResource per request; an emit costs a context switch.
 * (Fastify carries the context across reading the body itself; body-parser binds its callback.)
 */
export function emitRequestEventsInCurrentContext(request: IncomingMessage): void {
  const context = new AsyncResource('SwitchyardHttpRequest');
  const emit = request.emit;
  request.emit = function emitInCallContext(this: IncomingMessage, ...args: Parameters<IncomingMessage['emit']>) {
    return context.runInAsyncScope(emit, this, ...args);
  } as IncomingMessage['emit'];
}
