/** What startService's HTTP handler is given: httpHandler's context, or an Express app's `next`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { silentLogger } from '@switchyard/core';
import type { HttpHandlerContext } from '@switchyard/http';
import { MemoryRegistry } from '@switchyard/registry';
import { expect, it } from 'vitest';
import { startService } from './start-service.js';

const quiet = { handleSignals: false, tracing: false, drainDelayMs: 0, logger: silentLogger } as const;

it('hands the handler the request context (deadline, signal) as its third argument, as httpHandler does', async () => {
  const registry = new MemoryRegistry();
  let seen: HttpHandlerContext | undefined;
  // Typed as @switchyard/http documents a handler: the context used to be refused by the type and
  // be undefined at run time.
  const service = await startService({
    name: 'context',
    registry,
    http: {
      port: 0,
      host: '127.0.0.1',
      handler: async (_request, response, context) => {
        seen = context;
        response.end(String(context.deadline - Date.now() <= 500));
      },
    },
    ...quiet,
  });
  const reply = await fetch(`http://127.0.0.1:${service.httpPort}/`, {
    headers: { 'x-switchyard-deadline-ms': '500' },
  });
  expect(await reply.text()).toBe('true');
  expect(seen?.signal).toBeInstanceOf(AbortSignal);
  await service.stop();
  await registry.close();
});

it("gives an Express or Connect app httpHandler's final `next` (404, mapped errors), not its own", async () => {
  const registry = new MemoryRegistry();
  // The shape httpHandler recognises as such an app: a handler with its own `use` and `handle`.
  const app = Object.assign(
    (request: IncomingMessage, response: ServerResponse, third?: unknown) => {
      const next = third as ((error?: unknown) => void) | undefined;
      if (next === undefined) return response.writeHead(418).end('called without next');
      if (request.url === '/boom') return next(new Error('db password in the message'));
      return next();
    },
    { use: () => {}, handle: () => {} },
  );
  const service = await startService({
    name: 'express',
    registry,
    http: { port: 0, host: '127.0.0.1', handler: app },
    ...quiet,
  });
  const missing = await fetch(`http://127.0.0.1:${service.httpPort}/nothing`);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nothing' } });
  const failed = await fetch(`http://127.0.0.1:${service.httpPort}/boom`);
  expect(failed.status).toBe(500);
  expect(await failed.text()).not.toContain('password');
  await service.stop();
  await registry.close();
});
