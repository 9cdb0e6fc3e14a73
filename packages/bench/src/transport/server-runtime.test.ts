import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ServerReply, ServerRequest } from './protocol.js';
import { type BenchServer, serveServer } from './server-runtime.js';

/** A server child as the parent sees it, over a stand-in for the IPC channel. */
async function serve(server: BenchServer): Promise<(request: ServerRequest) => Promise<ServerReply>> {
  const channel = new EventEmitter();
  const replies: ServerReply[] = [];
  let answered: (() => void) | undefined;
  const parent = {
    on: (event: 'message', listener: (request: ServerRequest) => void) => channel.on(event, listener),
    send: (message: ServerReply) => {
      replies.push(message);
      answered?.();
    },
    disconnect: () => {},
  };
  const next = () =>
    new Promise<ServerReply>((resolve) => {
      const take = () => {
        const reply = replies.shift();
        if (reply) resolve(reply);
        else answered = take;
      };
      take();
    });
  serveServer(async () => server, parent);
  expect(await next()).toEqual({ type: 'listening', port: server.port });
  return (request) => {
    const reply = next();
    channel.emit('message', request);
    return reply;
  };
}

describe('serveServer', () => {
  it("exports the spans a traced server still holds before it reports its CPU, so they are the run's", async () => {
    // The instrumented gRPC server's batch processor exported each run's last spans (up to 511) on its
    // own 5 s timer, during other subjects' runs: their cost fell outside the otel-instrumented
    // subject's server CPU window, and into someone else's run.
    const events: string[] = [];
    const ask = await serve({
      port: 1,
      close: async () => {},
      flush: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push('flushed');
      },
    });
    const reply = await ask({ type: 'cpu' });
    events.push(reply.type);
    expect(events).toEqual(['flushed', 'cpu']);
  });

  it('answers at once when the server has nothing to flush, and closes', async () => {
    let closed = false;
    const ask = await serve({
      port: 2,
      close: async () => {
        closed = true;
      },
    });
    expect((await ask({ type: 'cpu' })).type).toBe('cpu');
    expect(await ask({ type: 'close' })).toEqual({ type: 'closed' });
    expect(closed).toBe(true);
  });
});
