import { fileURLToPath } from 'node:url';
import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadService } from '../definitions.js';
import { healthServiceDefinition } from '../health/health-definition.js';
import { certainlyNotSent, idempotentMethodsOf, markedIdempotent, notSentFailure } from './idempotency.js';

const Ledger = loadService('ledger.proto', 'switchyard.test.v1.Ledger', {
  includeDirs: [fileURLToPath(new URL('../../test/fixtures/protos', import.meta.url))],
});
const clientName = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

describe('markedIdempotent', () => {
  it("reads the proto's idempotency_level as proto-loader puts it on the method definition", () => {
    const options = (name: string) => (Ledger[name] as { options?: unknown } | undefined)?.options;
    expect(options('Append')).toMatchObject({ idempotency_level: 'IDEMPOTENCY_UNKNOWN' });
    expect(options('Put')).toMatchObject({ idempotency_level: 'IDEMPOTENT' });
    expect(options('Get')).toMatchObject({ idempotency_level: 'NO_SIDE_EFFECTS' });
    expect([Ledger.Append, Ledger.Put, Ledger.Get].map(markedIdempotent)).toEqual([false, true, true]);
  });

  it('takes the numeric form, and a definition without options as not marked', () => {
    expect(markedIdempotent({ options: { idempotency_level: 1 } })).toBe(true);
    expect(markedIdempotent({ options: { idempotency_level: 2 } })).toBe(true);
    expect(markedIdempotent({ options: { idempotency_level: 0 } })).toBe(false);
    expect(markedIdempotent({ path: '/a.B/C' })).toBe(false);
    expect(markedIdempotent(undefined)).toBe(false);
  });

  it("marks grpc.health.v1's methods as the reads they are", () => {
    const health = healthServiceDefinition();
    expect(Object.values(health).every(markedIdempotent)).toBe(true);
  });
});

describe('idempotentMethodsOf', () => {
  it("is the proto's marks and the client's list, by proto or client name", () => {
    expect([...idempotentMethodsOf(Ledger, undefined, clientName)].sort()).toEqual(['Get', 'Put']);
    expect([...idempotentMethodsOf(Ledger, ['append'], clientName)].sort()).toEqual(['Append', 'Get', 'Put']);
    expect([...idempotentMethodsOf(Ledger, ['Append'], clientName)].sort()).toEqual(['Append', 'Get', 'Put']);
  });

  it('refuses a name that is not a method, naming the entry and listing the methods', () => {
    expect(() => idempotentMethodsOf(Ledger, ['Append', 'Apend'], clientName)).toThrow(
      'idempotentMethods[1]: must name a method of the service, got "Apend"; methods: Append, Put, Get',
    );
    expect(() => idempotentMethodsOf(Ledger, 'Append' as never, clientName)).toThrow(
      /^idempotentMethods: must be an array/,
    );
  });
});

describe('certainlyNotSent', () => {
  const channel = (ready: boolean) =>
    ({ getChannel: () => ({ getConnectivityState: () => (ready ? 2 : 1) }) }) as never;
  const failure = (code: status, details: string) =>
    Object.assign(new Error(details), { code, details, metadata: new Metadata() });

  const beforeAnyStream = [
    'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ',
    'round_robin: No connection established. Last error: x',
    'Name resolution failed for target dns:nowhere:50051',
    'Channel closed before call started',
  ];

  it('is true for failures before any stream, and for a stream the server refused', () => {
    // grpc-js fails a call before any stream only while its channel has no connection.
    for (const details of beforeAnyStream) {
      expect(certainlyNotSent(failure(status.UNAVAILABLE, details), channel(false)), details).toBe(true);
    }
    // A refused stream is an RST_STREAM, on a connection that is up.
    expect(certainlyNotSent(failure(status.UNAVAILABLE, 'Stream refused by server'), channel(true))).toBe(true);
    expect(certainlyNotSent(notSentFailure('call not started: channel closed'), channel(true))).toBe(true);
  });

  it("is false for a server's reply in those words (a handler passing on its own grpc-js client's error)", () => {
    // Over a connected channel: no call fails before any stream there.
    for (const details of beforeAnyStream) {
      expect(certainlyNotSent(failure(status.UNAVAILABLE, details), channel(true)), details).toBe(false);
    }
    // With a response's content-type (a Trailers-Only reply): whatever the channel's state.
    for (const details of [...beforeAnyStream, 'Stream refused by server']) {
      const replied = failure(status.UNAVAILABLE, details);
      replied.metadata.set('content-type', 'application/grpc+proto');
      expect(certainlyNotSent(replied, channel(false)), details).toBe(false);
    }
  });

  it("is true for grpc-js's own deadline while the call waited for a connection it never got", () => {
    const waited = failure(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 0.148s,Waiting for LB pick');
    expect(certainlyNotSent(waited, channel(false))).toBe(true);
    // The same words over a connected channel are a server's reply (a relayed downstream's details).
    expect(certainlyNotSent(waited, channel(true))).toBe(false);
    const sent = failure(
      status.DEADLINE_EXCEEDED,
      'Deadline exceeded after 1.002s,LB pick: 0.001s,remote_addr=127.0.0.1:5',
    );
    expect(certainlyNotSent(sent, channel(false))).toBe(false);
  });

  it('is false for whatever may have come after the request was sent', () => {
    for (const [code, details] of [
      [status.UNAVAILABLE, 'read ECONNRESET'],
      [status.UNAVAILABLE, 'Connection dropped'],
      [status.UNAVAILABLE, 'service unavailable'],
      [status.DEADLINE_EXCEEDED, 'Deadline exceeded'],
      [status.INTERNAL, 'Received RST_STREAM with code 2 (Internal server error)'],
      [status.CANCELLED, 'Cancelled on client'],
    ] as const) {
      expect(certainlyNotSent(failure(code, details), channel(false)), details).toBe(false);
    }
  });
});
