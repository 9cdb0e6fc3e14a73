/**
 * Keepalive pings on an idle connection. Servers other than grpc-js enforce a ping policy by
 * default (grpc-go, Java and C-core accept a ping without calls in flight at most every 2 hours,
 * and answer a third early one with GOAWAY `too_many_pings`, dropping the connection): a client
 * must ping only while calls are in flight. This server counts the PING frames it receives.
 */
import { createServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Client, credentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_OPTIONS } from '../src/client/channel-pool.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** An HTTP/2 server that never answers, counting PINGs, and a channel to it pinging every 100 ms. */
async function pingCountingPeer() {
  const counted = { pings: 0, sessions: new Set<Http2Session>() };
  const server = createServer();
  server.on('session', (session) => {
    counted.sessions.add(session);
    session.on('ping', () => counted.pings++);
  });
  server.on('stream', () => {}); // a call stays in flight
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    ...DEFAULT_CHANNEL_OPTIONS,
    'grpc.keepalive_time_ms': 100,
  });
  closers.push(() => {
    client.close();
    for (const session of counted.sessions) session.destroy();
    server.close();
  });
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 5_000, (error) => (error ? reject(error) : resolve())),
  );
  return { counted, client };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('keepalive on Switchyard channels', () => {
  it('sends no PING on a connection with no call in flight', async () => {
    const { counted } = await pingCountingPeer();
    await pause(700);
    expect(counted.sessions.size).toBe(1);
    expect(counted.pings).toBe(0);
  });

  it('pings while a call is in flight (a dead peer under a call is still noticed)', async () => {
    const { counted, client } = await pingCountingPeer();
    const call = client.makeUnaryRequest(
      '/test.Silent/Wait',
      (value: Buffer) => value,
      (value: Buffer) => value,
      Buffer.alloc(0),
      { deadline: Date.now() + 5_000 },
      () => {},
    );
    await pause(700);
    call.cancel();
    expect(counted.pings).toBeGreaterThan(0);
  });
});
