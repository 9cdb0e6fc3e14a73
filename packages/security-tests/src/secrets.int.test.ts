import { randomBytes } from 'node:crypto';
import { SwitchyardError } from '@switchyard/core';
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RunningService, startService } from '@switchyard/service';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateFactory, keyFragments, type TestCa, type TestCert } from './support/certificates.js';
import { EchoService, echoImplementation } from './support/echo.js';
import { freePort } from './support/free-port.js';
import { deepText, recordingLogger } from './support/recording-logger.js';
import { dumpKeys } from './support/redis-dump.js';
import { waitFor } from './support/wait.js';

const SECRET = `Sy-Secret-${randomBytes(6).toString('hex')}`;
const WRONG = `Sy-Wrong-${randomBytes(6).toString('hex')}`;
const TLS_VARIABLES = ['SWITCHYARD_TLS_CA', 'SWITCHYARD_TLS_CERT', 'SWITCHYARD_TLS_KEY', 'SWITCHYARD_TLS_SERVER_NAME'];

let redis: RedisServerHandle;
let admin: Redis;
let pki: CertificateFactory;
let ca: TestCa;
let serviceCert: TestCert;
const errors: unknown[] = [];

/** Where secrets could surface: every captured error (message, stack, cause chain, own properties). */
const errorText = (): string => errors.map((error) => deepText(error)).join('\n');
async function capture<T>(promise: Promise<T>): Promise<unknown> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    errors.push(error);
    return error;
  }
}
function captureSync(run: () => unknown): unknown {
  try {
    run();
    return undefined;
  } catch (error) {
    errors.push(error);
    return error;
  }
}

function expectNoSecret(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) {
    expect(
      text.includes(secret),
      `${where} contains the secret ${secret.slice(0, 12)}…:\n${excerpt(text, secret)}`,
    ).toBe(false);
  }
}
const excerpt = (text: string, secret: string): string => {
  const at = text.indexOf(secret);
  return at < 0 ? '' : text.slice(Math.max(0, at - 300), at + secret.length + 100);
};

beforeAll(async () => {
  redis = await startRedis({
    password: SECRET,
    via: process.env.SWITCHYARD_TESTING_VIA === 'container' ? 'container' : 'binary',
  });
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 }).on('error', () => undefined);
  pki = new CertificateFactory();
  ca = pki.createCa('secrets-ca');
  serviceCert = pki.issue(ca, 'catalog', ['IP:127.0.0.1']);
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
  pki?.remove();
});

describe('secrets never appear in logs, errors or registry entries', () => {
  it('a service with a Redis password and mTLS keys: registry entries, change messages and logs hold neither', async () => {
    const logger = recordingLogger();
    const url = `redis://:${SECRET}@127.0.0.1:${redis.port}`;
    const subscriber = new Redis(redis.url).on('error', () => undefined);
    const messages: string[] = [];
    await subscriber.psubscribe('*');
    subscriber.on('pmessage', (_pattern, channel, message) => messages.push(`${channel} ${message}`));
    const saved = Object.fromEntries(TLS_VARIABLES.map((name) => [name, process.env[name]]));
    let service: RunningService | undefined;
    try {
      process.env.SWITCHYARD_TLS_CA = ca.certPath;
      process.env.SWITCHYARD_TLS_CERT = serviceCert.certPath;
      process.env.SWITCHYARD_TLS_KEY = serviceCert.keyPath;
      service = await startService({
        name: 'catalog',
        version: '1.0.0',
        registry: url,
        grpc: {
          services: [{ definition: EchoService, implementation: echoImplementation('catalog') }],
          port: 0,
          host: '127.0.0.1',
        },
        metadata: { track: 'a' },
        tracing: false,
        handleSignals: false,
        drainDelayMs: 0,
        shutdownGraceMs: 200,
        logger,
      });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    try {
      await service.registration.update({ metadata: { track: 'b' } });
      await service.registry.setRoute('catalog', { splits: { '1.0.0': 100 } });
      await waitFor(() => messages.length >= 3, { what: 'change messages' });
      const stored = await dumpKeys(admin, 'switchyard:*');
      expect(stored).toContain('catalog');
      expectNoSecret(stored, [SECRET], 'Redis');
      expectNoSecret(messages.join('\n'), [SECRET], 'change messages');
      expectNoSecret(`${service.registry}`, [SECRET], 'registry.toString()');
      for (const fragment of keyFragments(serviceCert.key)) {
        expect(stored).not.toContain(fragment);
        expect(messages.join('\n')).not.toContain(fragment);
        expect(logger.text()).not.toContain(fragment);
      }
      expect(stored).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    } finally {
      await service.stop();
      await subscriber.quit();
    }
    expectNoSecret(logger.text(), [SECRET], 'logs');
  });

  it('Redis killed and restarted under a registry with a password: no password in logs or errors', async () => {
    const logger = recordingLogger();
    const registry = createRegistry(`redis://:${SECRET}@127.0.0.1:${redis.port}`, {
      logger,
      connectTimeoutMs: 500,
      commandTimeoutMs: 300,
      sweepIntervalMs: 100,
      resyncIntervalMs: 200,
    });
    try {
      const registration = await registry.register(
        { id: 'kill-1', service: 'killed', host: '127.0.0.1', ports: { grpc: 1 } },
        { ttlMs: 1_500 },
      );
      const states: string[] = [];
      registration.onStateChange((state, error) => {
        states.push(state);
        if (error) errors.push(error);
      });
      await registry.watch('killed', (event) => {
        if (event.type === 'stale') errors.push(event.error);
      });
      await redis.kill();
      await capture(registry.list('killed'));
      await capture(registry.services());
      await capture(registration.update({ weight: 7 }));
      await capture(registry.register({ service: 'killed', host: '127.0.0.1', ports: { grpc: 2 } }));
      await waitFor(() => states.includes('unavailable'), { what: 'the registration to notice' });
      await redis.restart();
      await waitFor(async () => (await registry.list('killed')).some((instance) => instance.weight === 7), {
        timeoutMs: 8_000,
        what: 'the entry to be written back with the update made during the outage',
      });
    } finally {
      await registry.close();
    }
    expect(logger.find('warn', /connection lost/).length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expectNoSecret(logger.text(), [SECRET], 'logs');
    expectNoSecret(errorText(), [SECRET], 'errors');
  });

  it('a wrong password: no password (right or wrong) in logs or errors', async () => {
    const logger = recordingLogger();
    const registry = createRegistry(`redis://:${WRONG}@127.0.0.1:${redis.port}`, { logger, connectTimeoutMs: 500 });
    try {
      await capture(registry.list('catalog'));
      await capture(registry.register({ service: 'catalog', host: '127.0.0.1', ports: { grpc: 1 } }));
      await capture(registry.watch('catalog', () => undefined));
      expectNoSecret(`${registry}`, [WRONG], 'registry.toString()');
    } finally {
      await registry.close();
    }
    expect(logger.records.length).toBeGreaterThan(0);
    expectNoSecret(errorText(), [SECRET, WRONG], 'errors');
    expectNoSecret(logger.text(), [SECRET, WRONG], 'logs');
  });

  it('a wrong password is reported as such (REGISTRY_UNAVAILABLE saying permission denied), not as a timeout', async () => {
    const registry = createRegistry(`redis://:${WRONG}@127.0.0.1:${redis.port}`, { connectTimeoutMs: 500 });
    try {
      const error = await registry.list('catalog').catch((caught: unknown) => caught);
      expect(SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toMatch(/permission denied|WRONGPASS/);
      expect((error as Error).message).not.toContain(WRONG);
    } finally {
      await registry.close();
    }
  });

  it('bad URLs and unreachable servers: the password is masked in every error', async () => {
    const closed = await freePort();
    const badUrls = [
      `redis://:${SECRET}@127.0.0.1:notaport`,
      `redis://user:${SECRET}@`,
      `rediss://user:${SECRET}@[::1`,
      `redis-sentinel://:${SECRET}@127.0.0.1:99999/mymaster`,
      `redis-sentinel://:${SECRET}@127.0.0.1:26379`,
      `redis-sentinel://127.0.0.1:26379/mymaster?db=x&sentinelPassword=${SECRET}`,
      `redis-cluster://user:${SECRET}@127.0.0.1:0`,
      `redis-cluster://user:${SECRET}@`,
      `consul://user:${SECRET}@127.0.0.1:8500`,
      // A typo in the scheme separator.
      `redis:/user:${SECRET}@127.0.0.1`,
      // Passwords holding URL delimiters, not percent-encoded (a common copy-paste mistake).
      `redis://user:ab/${SECRET}@127.0.0.1:6379`,
      `redis-sentinel://user:ab/${SECRET}@127.0.0.1:26379/mymaster`,
    ];
    const leaks: string[] = [];
    for (const url of badUrls) {
      const error = captureSync(() => createRegistry(url));
      expect(SwitchyardError.hasCode(error, 'INVALID_ARGUMENT'), `${url}: ${String(error)}`).toBe(true);
      if (deepText(error).includes(SECRET)) leaks.push(`createRegistry error: ${(error as Error).message}`);
    }
    const logger = recordingLogger();
    const unreachable: Registry[] = [
      createRegistry(`redis://:${SECRET}@127.0.0.1:${closed}`, { logger, connectTimeoutMs: 300 }),
      createRegistry(`redis://user:${SECRET}@127.0.0.1:${closed}/3`, { logger, connectTimeoutMs: 300 }),
      createRegistry(`redis-sentinel://:${SECRET}@127.0.0.1:${closed}/mymaster?sentinelPassword=${SECRET}`, {
        logger,
        connectTimeoutMs: 300,
      }),
      createRegistry(`redis-cluster://user:${SECRET}@127.0.0.1:${closed}`, { logger, connectTimeoutMs: 300 }),
      // An unencoded "@" in the password: the URL still parses (the last "@" ends the user info).
      createRegistry(`redis://user:ab@${SECRET}@127.0.0.1:${closed}`, { logger, connectTimeoutMs: 300 }),
    ];
    for (const registry of unreachable) {
      if (`${registry}`.includes(SECRET)) leaks.push(`toString: ${registry}`);
      const error = await capture(registry.list('catalog'));
      expect(SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE'), String(error)).toBe(true);
      if (deepText(error).includes(SECRET)) leaks.push(`list error: ${(error as Error).message}`);
      await capture(registry.register({ service: 'catalog', host: '127.0.0.1', ports: { grpc: 1 } }));
    }
    await Promise.all(unreachable.map((registry) => registry.close()));
    expect(leaks).toEqual([]);
    expectNoSecret(errorText(), [SECRET], 'errors');
    expectNoSecret(logger.text(), [SECRET], 'logs');
  });
});
