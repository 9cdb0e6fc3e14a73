import { type RedisServerHandle, startRedis } from '@switchyard/testing';
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

/** TLS ports tried (each chosen free, then bound by Redis) before giving up. */
const TLS_PORT_ATTEMPTS = 5;

/**
 * Starts a redis-server with `@switchyard/testing`'s `startRedis({ via: 'binary' })` (the files
 * must be readable by the server), so that its port retry, exit cleanup and sweep of servers
 * orphaned by a SIGKILLed test process apply to this one too. It answers on a plain port first;
 * then, on that port: `CONFIG SET tls-port <free>` (another free port while Redis reports it
 * cannot listen there: it was taken since it was chosen), then `CONFIG SET port 0`, which
 * closes the plain port. `--tls-auth-clients no`: clients need no certificate.
 */
export async function startTlsRedis(options: {
  certPath: string;
  keyPath: string;
  caPath: string;
  ca: Buffer;
}): Promise<TlsRedis> {
  const server: RedisServerHandle = await startRedis({
    via: 'binary',
    args: [
      ...['--tls-cert-file', options.certPath, '--tls-key-file', options.keyPath],
      ...['--tls-ca-cert-file', options.caPath, '--tls-auth-clients', 'no'],
    ],
  });
  let port: number;
  const plain = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  plain.on('error', () => undefined);
  try {
    port = await listenOnTls(plain);
    await plain.config('SET', 'port', '0');
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    plain.disconnect();
  }
  const admins: Redis[] = [];
  return {
    port,
    url: `rediss://127.0.0.1:${port}`,
    admin() {
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
    },
    async stop() {
      for (const client of admins) client.disconnect();
      await server.stop();
    },
  };
}

async function listenOnTls(plain: Redis): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await plain.config('SET', 'tls-port', String(port));
      return port;
    } catch (error) {
      if (!/Unable to listen/i.test(String(error)) || attempt >= TLS_PORT_ATTEMPTS) throw error;
    }
  }
}
