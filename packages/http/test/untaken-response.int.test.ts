/**
 * A streamed response the call did not take: a policy may run attempts side by side and choose
 * among them once all have answered. The response it passes over must not keep its connection
 * (and the instance's work) going until someone notices; its body is closed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bothThenFirst } from '../../../test-support/side-by-side-policy.js';
import { Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('a streamed response the call did not take', () => {
  it('has its body closed, so the instance stops sending it', async () => {
    // How each response ended on the server: its client went away, or it was sent to the end.
    const endings: string[] = [];
    await loopback.serve('a', (request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      // A chunk every 20 ms, 250 of them: a response left open would still be going 5 s later.
      const timer = setInterval(() => {
        response.write(`${sent++}\n`);
        if (sent === 250) {
          clearInterval(timer);
          response.end();
          endings.push('sent to the end');
        }
      }, 20);
      request.socket.once('close', () => {
        if (sent < 250) endings.push('client went away');
        clearInterval(timer);
      });
    });
    const web = await loopback.client('web', { policy: bothThenFirst });
    const response = await web.request({ path: '/feed', deadlineMs: 30_000 });
    expect(response.status).toBe(200);
    // The taken response is read a little, then closed by its caller.
    for await (const _chunk of response.body) break;
    await expect.poll(() => endings, { timeout: 2_000 }).toEqual(['client went away', 'client went away']);
  });
});

describe('a streamed body its caller throws away', () => {
  it('can be destroyed unread, with no signal, without an error thrown out of the event loop', async () => {
    await loopback.serve('a', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first chunk\n'); // and never ends
    });
    const web = await loopback.client();
    const response = await web.request({ path: '/feed' });
    // undici turns destroy() into an AbortError: emitted to no listener, it ended the process.
    response.body.destroy();
    await new Promise((resolve) => response.body.once('close', resolve));
    expect(response.body.destroyed).toBe(true);
    // The next request goes through (the client is unharmed).
    const next = await web.request({ path: '/feed' });
    expect(next.status).toBe(200);
    next.body.destroy();
  });
});
