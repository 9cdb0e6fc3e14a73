import { credentials, status } from '@grpc/grpc-js';
import { MemoryRegistry } from '@switchyard/registry';
import { type RunningService, startService } from '@switchyard/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateFactory, keyFragments, type TestCa, type TestCert } from './support/certificates.js';
import { type EchoReply, EchoService, echoImplementation, rawSay } from './support/echo.js';
import { deepText, recordingLogger } from './support/recording-logger.js';

const TLS_VARIABLES = ['SWITCHYARD_TLS_CA', 'SWITCHYARD_TLS_CERT', 'SWITCHYARD_TLS_KEY', 'SWITCHYARD_TLS_SERVER_NAME'];

let pki: CertificateFactory;
let ca: TestCa;
let foreignCa: TestCa;
let echoCert: TestCert;
let frontCert: TestCert;
let foreignClient: TestCert;
let registry: MemoryRegistry;
let echo: RunningService;
let front: RunningService;
const logger = recordingLogger();

/** Runs `start` with SWITCHYARD_TLS_* set to `cert` (and the shared CA), restoring the environment after. */
async function withTlsEnv<T>(cert: TestCert, start: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(TLS_VARIABLES.map((name) => [name, process.env[name]]));
  process.env.SWITCHYARD_TLS_CA = ca.certPath;
  process.env.SWITCHYARD_TLS_CERT = cert.certPath;
  process.env.SWITCHYARD_TLS_KEY = cert.keyPath;
  delete process.env.SWITCHYARD_TLS_SERVER_NAME;
  try {
    return await start();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const serviceOptions = (name: string) => ({
  name,
  registry,
  grpc: {
    services: [{ definition: EchoService, implementation: echoImplementation(name) }],
    port: 0,
    host: '127.0.0.1',
  },
  tracing: false as const,
  handleSignals: false,
  drainDelayMs: 0,
  shutdownGraceMs: 500,
  logger,
});

beforeAll(async () => {
  pki = new CertificateFactory();
  ca = pki.createCa('services-ca');
  foreignCa = pki.createCa('foreign-ca');
  echoCert = pki.issue(ca, 'echo', ['IP:127.0.0.1', 'DNS:echo.switchyard.test']);
  frontCert = pki.issue(ca, 'front', ['IP:127.0.0.1', 'DNS:front.switchyard.test']);
  foreignClient = pki.issue(foreignCa, 'intruder', ['IP:127.0.0.1']);
  registry = new MemoryRegistry();
  echo = await withTlsEnv(echoCert, () => startService(serviceOptions('echo')));
  front = await withTlsEnv(frontCert, () => startService(serviceOptions('front')));
});

afterAll(async () => {
  await front?.stop();
  await echo?.stop();
  await registry?.close();
  pki?.remove();
});

describe('gRPC mTLS between services (SWITCHYARD_TLS_CA / _CERT / _KEY)', () => {
  it('the environment was restored after start', () => {
    for (const name of TLS_VARIABLES) expect(process.env[name]).toBeUndefined();
  });

  it('a call through service.grpcClient works over mutual TLS', async () => {
    const client = front.grpcClient(EchoService, 'echo') as unknown as {
      say(request: { message: string }, options?: { deadlineMs?: number }): Promise<EchoReply>;
    };
    const reply = await client.say({ message: 'over mTLS' }, { deadlineMs: 3_000 });
    expect(reply).toMatchObject({ message: 'over mTLS', servedBy: 'echo' });
  });

  it('keeps SWITCHYARD_TLS_SERVER_NAME when a client passes channelOptions of its own', async () => {
    // A server certificate naming only a DNS name: dialled by IP, it checks only through the override.
    const dnsOnly = pki.issue(ca, 'echo-dns', ['DNS:echo-dns.switchyard.test']);
    const echoDns = await withTlsEnv(dnsOnly, () => startService(serviceOptions('echo-dns')));
    const caller = await withTlsEnv(frontCert, () => {
      process.env.SWITCHYARD_TLS_SERVER_NAME = 'echo-dns.switchyard.test';
      return startService(serviceOptions('caller-dns'));
    });
    try {
      const client = caller.grpcClient(EchoService, 'echo-dns', {
        channelOptions: { 'grpc.keepalive_time_ms': 10_000 },
      }) as unknown as { say(request: { message: string }, options?: { deadlineMs?: number }): Promise<EchoReply> };
      const reply = await client.say({ message: 'by name' }, { deadlineMs: 3_000 });
      expect(reply.servedBy).toBe('echo-dns');
    } finally {
      await caller.stop();
      await echoDns.stop();
    }
  });

  it('a plain grpc-js client with a client certificate from the same CA works (control)', async () => {
    const reply = await rawSay(
      `127.0.0.1:${echo.grpcPort}`,
      credentials.createSsl(ca.cert, frontCert.key, frontCert.cert),
      'control',
    );
    expect(reply.servedBy).toBe('echo');
  });

  const refused: [string, () => ReturnType<typeof credentials.createSsl>][] = [
    ['a plaintext client', () => credentials.createInsecure()],
    ['a TLS client without a client certificate', () => credentials.createSsl(ca.cert)],
    [
      'a client certificate from another CA',
      () => credentials.createSsl(ca.cert, foreignClient.key, foreignClient.cert),
    ],
  ];
  for (const [label, makeCredentials] of refused) {
    it(`refuses ${label}`, async () => {
      const error = await rawSay(`127.0.0.1:${echo.grpcPort}`, makeCredentials(), 'let me in', 2_000).catch(
        (caught: { code?: number }) => caught,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as { code?: number }).code).toBe(status.UNAVAILABLE);
    });
  }

  it('refuses a server whose certificate is from another CA (the client verifies the server too)', async () => {
    const error = await rawSay(
      `127.0.0.1:${echo.grpcPort}`,
      credentials.createSsl(foreignCa.cert, frontCert.key, frontCert.cert),
      'who are you',
      2_000,
    ).catch((caught: { code?: number }) => caught);
    expect((error as { code?: number }).code).toBe(status.UNAVAILABLE);
  });

  it('no key material in the registry entries or in any log line', async () => {
    const entries = JSON.stringify([...(await registry.list('echo')), ...(await registry.list('front'))]);
    const logs = logger.text();
    for (const cert of [echoCert, frontCert]) {
      for (const fragment of keyFragments(cert.key)) {
        expect(entries).not.toContain(fragment);
        expect(logs).not.toContain(fragment);
      }
    }
    expect(`${entries}\n${logs}\n${deepText(echo.instance)}`).not.toMatch(/PRIVATE KEY|SWITCHYARD_TLS_KEY|\.key\b/);
  });
});
