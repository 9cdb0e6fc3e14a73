import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/** A TLS-only redis-server on 127.0.0.1 (plain port disabled). */
export interface TlsRedis {
  readonly port: number;
  /** `rediss://127.0.0.1:<port>` */
  readonly url: string;
  /** Runs a command over TLS as the default user (for setup and inspection). */
  admin(): Redis;
  stop(): Promise<void>;
}

/**
 * `@switchyard/testing`'s startRedis() always opens a plain `--port` and waits for a plaintext PING
 * on it, so it cannot run a TLS-only server; this spawns redis-server itself:
 * `--port 0 --tls-port <free> --tls-cert-file … --tls-key-file … --tls-ca-cert-file … --tls-auth-clients no`,
 * bound to 127.0.0.1, no persistence, in a temp dir removed on stop.
 */
export async function startTlsRedis(options: {
  certPath: string;
  keyPath: string;
  caPath: string;
  ca: Buffer;
}): Promise<TlsRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-redis-'));
  const logFd = openSync(join(dir, 'output.log'), 'a');
  const child: ChildProcess = spawn(
    'redis-server',
    [
      ...['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1'],
      ...['--tls-cert-file', options.certPath, '--tls-key-file', options.keyPath],
      ...['--tls-ca-cert-file', options.caPath, '--tls-auth-clients', 'no'],
      ...['--save', '', '--appendonly', 'no', '--dir', dir],
    ],
    { cwd: dir, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const admins: Redis[] = [];
  const admin = (): Redis => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      tls: { ca: options.ca },
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    client.on('error', () => undefined);
    admins.push(client);
    return client;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({
      host: '127.0.0.1',
      port,
      tls: { ca: options.ca },
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') break;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      kill();
      const output = readFileSync(join(dir, 'output.log'), 'utf8').slice(-2_000);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`TLS redis-server did not answer on 127.0.0.1:${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url: `rediss://127.0.0.1:${port}`,
    admin,
    async stop() {
      for (const client of admins) client.disconnect();
      child.ref();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(kill, 3_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
