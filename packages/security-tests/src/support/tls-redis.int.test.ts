/**
 * startTlsRedis leaves nothing running and does not fail on a port race: a TLS port taken
 * between being chosen and being bound makes it try another, and a server whose test process
 * was SIGKILLed (no exit hook runs) is stopped by the next test process that starts a Redis
 * (`@switchyard/testing`'s orphan sweep).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CertificateFactory, type TestCa, type TestCert } from './certificates.js';
import { startTlsRedis } from './tls-redis.js';
import { processAlive } from '@switchyard/testing';

// The next freePort() call hands out `blocked` (a port a neighbour listens on); later calls are left alone.
const takeOver = vi.hoisted(() => ({ blocked: undefined as number | undefined }));
vi.mock('./free-port.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./free-port.js')>();
  return {
    freePort: async () => {
      const blocked = takeOver.blocked;
      takeOver.blocked = undefined;
      return blocked ?? actual.freePort();
    },
  };
});

let pki: CertificateFactory;
let ca: TestCa;
let server: TestCert;
beforeAll(() => {
  pki = new CertificateFactory();
  ca = pki.createCa('switchyard-test-ca');
  server = pki.issue(ca, 'redis-server', ['IP:127.0.0.1']);
});
afterAll(() => pki?.remove());

// First in this file: the sweep runs once per process, before its first Redis starts.
it.runIf(existsSync('/proc/self/stat'))(
  'a TLS Redis left by a SIGKILLed test process is stopped by the next one',
  { timeout: 30_000 },
  async () => {
    const entry = fileURLToPath(new URL('./tls-redis.ts', import.meta.url));
    const tls = { certPath: server.certPath, keyPath: server.keyPath, caPath: ca.certPath };
    // A test process that starts a TLS Redis, says its pid, and hangs until it is killed.
    const script = `import(${JSON.stringify(entry)}).then(async ({ startTlsRedis }) => {
      const tls = ${JSON.stringify(tls)};
      const redis = await startTlsRedis({ ...tls, ca: require('node:fs').readFileSync(tls.caPath) });
      const info = await redis.admin().info('server');
      console.log('PID ' + /process_id:(\\d+)/.exec(info)[1]);
      setInterval(() => {}, 1000);
    });`;
    const owner = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const serverPid = await new Promise<number>((resolve, reject) => {
      let output = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /PID (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      owner.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
    });
    owner.kill('SIGKILL'); // no exit hook runs: the server is orphaned
    await new Promise((resolve) => owner.once('exit', resolve));
    expect(processAlive(serverPid)).toBe(true);
    const next = await startRedis({ via: 'binary' }); // the next test process's first Redis
    await next.stop();
    await expect.poll(() => processAlive(serverPid), { timeout: 5_000 }).toBe(false);
  },
);

it('tries another TLS port when the chosen one was taken before Redis bound it', async () => {
  let neighbour: Server | undefined;
  try {
    neighbour = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => neighbour!.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const blocked = (neighbour.address() as { port: number }).port;
    takeOver.blocked = blocked;
    const redis = await startTlsRedis({ ...server, caPath: ca.certPath, ca: ca.cert });
    try {
      expect(takeOver.blocked).toBeUndefined(); // the blocked port was handed out
      expect(redis.port).not.toBe(blocked);
      expect(await redis.admin().ping()).toBe('PONG');
      // TLS only: the plain port it started with is closed.
      const ports = String(await redis.admin().config('GET', 'port'));
      expect(ports).toBe('port,0');
    } finally {
      await redis.stop();
    }
  } finally {
    await new Promise((resolve) => (neighbour ? neighbour.close(resolve) : resolve(undefined)));
  }
});
