/**
 * mTLS certificates renewed on disk while the service runs (cert-manager rewrites a Secret's files
 * about every 60 days; the pod is not restarted). They were read once at start: the service kept
 * presenting its first certificate, as a server and as a client, until it expired, and every
 * handshake then failed both ways. New connections now use the renewed files, read again every
 * SWITCHYARD_TLS_RELOAD_MS; files caught halfway through a rotation are not taken.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Logger } from '@switchyard/core';
import { loadService } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { type RunningService, startService } from '@switchyard/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [fileURLToPath(new URL('../../../protos', import.meta.url))],
});

const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-rotation-'));
const file = (name: string): string => join(dir, name);
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' });
};
const serialOf = (name: string): string => new X509Certificate(readFileSync(file(name))).serialNumber;

/** A key and a certificate for 127.0.0.1, signed by the CA. */
function issue(name: string): void {
  openssl('req', ...NEW_EC_KEY, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
  openssl(
    'x509',
    '-req',
    '-in',
    file(`${name}.csr`),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file(`${name}.crt`),
    '-days',
    '2',
    '-extfile',
    file('san.ext'),
  );
}

const TLS_VARIABLES = ['SWITCHYARD_TLS_CA', 'SWITCHYARD_TLS_CERT', 'SWITCHYARD_TLS_KEY', 'SWITCHYARD_TLS_RELOAD_MS'];
const saved = Object.fromEntries(TLS_VARIABLES.map((name) => [name, process.env[name]]));
const warnings: string[] = [];
const logger = {
  debug() {},
  info() {},
  warn: (fields: { err?: unknown }, message: string) => warnings.push(`${message}: ${String(fields?.err)}`),
  error() {},
  child() {
    return logger;
  },
} as unknown as Logger;

let registry: MemoryRegistry;
let service: RunningService;

beforeAll(async () => {
  openssl(
    'req',
    '-x509',
    ...NEW_EC_KEY,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-subj',
    '/CN=ca',
    '-days',
    '2',
  );
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  issue('first');
  issue('renewed');
  // What the Secret's files hold: the first certificate.
  copyFileSync(file('first.crt'), file('service.crt'));
  copyFileSync(file('first.key'), file('service.key'));
  process.env.SWITCHYARD_TLS_CA = file('ca.crt');
  process.env.SWITCHYARD_TLS_CERT = file('service.crt');
  process.env.SWITCHYARD_TLS_KEY = file('service.key');
  process.env.SWITCHYARD_TLS_RELOAD_MS = '100';
  registry = new MemoryRegistry();
  service = await startService({
    name: 'echo',
    registry,
    grpc: {
      port: 0,
      host: '127.0.0.1',
      services: [
        { definition: EchoService, implementation: { say: async ({ message }: { message: string }) => ({ message }) } },
      ],
    },
    tracing: false,
    handleSignals: false,
    drainDelayMs: 0,
    shutdownGraceMs: 500,
    logger,
  });
});

afterAll(async () => {
  await service?.stop();
  await registry?.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The serial number of the certificate the gRPC server presents to a new connection. */
async function servedSerial(): Promise<string> {
  const socket = connect({
    host: '127.0.0.1',
    port: service.grpcPort as number,
    ca: readFileSync(file('ca.crt')),
    cert: readFileSync(file('first.crt')),
    key: readFileSync(file('first.key')),
    ALPNProtocols: ['h2'],
  });
  try {
    await once(socket, 'secureConnect');
    return socket.getPeerCertificate().serialNumber;
  } finally {
    socket.destroy();
  }
}

/** A TLS server that records the serial of each client certificate it is shown, registered as an `echo-peer` instance. */
async function recordingPeer(seen: string[]): Promise<Server> {
  const server = createServer(
    {
      ca: readFileSync(file('ca.crt')),
      cert: readFileSync(file('renewed.crt')),
      key: readFileSync(file('renewed.key')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket: TLSSocket) => {
      seen.push(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('mTLS certificate files renewed while the service runs', () => {
  it('are presented by the gRPC server and its clients on new connections; a rotation caught halfway is not taken', async () => {
    const first = serialOf('first.crt');
    const renewed = serialOf('renewed.crt');
    expect(await servedSerial()).toBe(first);

    // Halfway: the new certificate is written, its key not yet. Not taken (the key does not match).
    copyFileSync(file('renewed.crt'), file('service.crt'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await servedSerial()).toBe(first);

    copyFileSync(file('renewed.key'), file('service.key'));
    // Before: the first certificate, for as long as the process ran.
    await until(async () => (await servedSerial()) === renewed, 'the server to present the renewed certificate');
    // The halfway state was reported, once.
    expect(warnings.filter((line) => /SWITCHYARD_TLS_KEY.*does not match/.test(line))).toHaveLength(1);

    // As a client: a channel to an instance that appears now connects with the renewed certificate.
    const seen: string[] = [];
    const peer = await recordingPeer(seen);
    try {
      await registry.register({
        service: 'echo-peer',
        host: '127.0.0.1',
        ports: { grpc: (peer.address() as AddressInfo).port },
      });
      const client = service.grpcClient(EchoService, 'echo-peer') as unknown as {
        say(request: object, options?: object): Promise<unknown>;
      };
      await client.say({ message: 'hi' }, { deadlineMs: 1_000 }).catch(() => undefined);
      await until(() => seen.length > 0, 'the peer to see a client certificate');
      expect(seen[0]).toBe(renewed);
    } finally {
      peer.close();
    }
  });
});
