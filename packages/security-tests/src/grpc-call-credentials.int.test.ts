import {
  CallCredentials,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateFactory, type TestCa, type TestCert } from './support/certificates.js';
import { type EchoReply, EchoService } from './support/echo.js';

// Per-call credentials (a token generated for every call) must reach the server on every call.
// Switchyard's client sends calls on a connected channel straight to its connection, past the
// grpc-js layer that applies call credentials: such channels must never take that lane.

let pki: CertificateFactory;
let ca: TestCa;
let serverCert: TestCert;
let server: Server;
let port: number;
const registry = new MemoryRegistry();

beforeAll(async () => {
  pki = new CertificateFactory();
  ca = pki.createCa('call-credentials-ca');
  serverCert = pki.issue(ca, 'echo', ['IP:127.0.0.1']);
  server = new Server();
  server.addService(EchoService, {
    // Answers with the authorization header it received, so the test sees what reached it.
    Say: (call: ServerUnaryCall<{ message: string }, EchoReply>, callback: sendUnaryData<EchoReply>) =>
      callback(null, { message: String(call.metadata.get('authorization')[0] ?? 'none'), servedBy: 'echo' }),
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      '127.0.0.1:0',
      ServerCredentials.createSsl(ca.cert, [{ private_key: serverCert.key, cert_chain: serverCert.cert }], false),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  await registry.register({ id: 'echo-1', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
});

afterAll(async () => {
  server?.forceShutdown();
  await registry.close();
  pki?.remove();
});

describe('gRPC call credentials through createGrpcClient', () => {
  it('reach the server on every call, including those on an already connected channel', async () => {
    let issued = 0;
    const token = CallCredentials.createFromMetadataGenerator((_params, callback) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer token-${++issued}`);
      callback(null, metadata);
    });
    const discovery = createDiscovery({ registry, service: 'echo' });
    const client = createGrpcClient({
      definition: EchoService,
      discovery,
      credentials: credentials.combineChannelCredentials(credentials.createSsl(ca.cert), token),
      channelsPerInstance: 1,
    }) as unknown as { say(request: { message: string }): Promise<EchoReply>; close(): Promise<void> };
    try {
      const seen: string[] = [];
      for (let call = 0; call < 5; call++) seen.push((await client.say({ message: 'x' })).message);
      expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => `Bearer token-${n}`));
    } finally {
      await client.close();
      await discovery.close();
    }
  });
});
