import { SwitchyardError } from '@switchyard/core';
import { createRegistry, RedisRegistry } from '@switchyard/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateFactory, type TestCa } from './support/certificates.js';
import { exerciseEveryOperation } from './support/exercise-registry.js';
import { deepText, recordingLogger } from './support/recording-logger.js';
import { startTlsRedis, type TlsRedis } from './support/tls-redis.js';

let pki: CertificateFactory;
let ca: TestCa;
let otherCa: TestCa;
let redis: TlsRedis;

beforeAll(async () => {
  pki = new CertificateFactory();
  ca = pki.createCa('switchyard-test-ca');
  otherCa = pki.createCa('some-other-ca');
  const server = pki.issue(ca, 'redis-server', ['IP:127.0.0.1']);
  redis = await startTlsRedis({ certPath: server.certPath, keyPath: server.keyPath, caPath: ca.certPath, ca: ca.cert });
});
afterAll(async () => {
  await redis?.stop();
  pki?.remove();
});

describe('rediss:// with a CA made at test time', () => {
  it('the TLS-only server refuses plaintext', async () => {
    const plain = createRegistry(`redis://127.0.0.1:${redis.port}`, { connectTimeoutMs: 500 });
    try {
      const error = await plain.list('catalog').catch((caught: unknown) => caught);
      expect(SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE')).toBe(true);
    } finally {
      await plain.close();
    }
  });

  it('works for every registry operation with redisOptions: { tls: { ca } }', async () => {
    const admin = redis.admin();
    const logger = recordingLogger();
    const done = await exerciseEveryOperation(
      { url: redis.url, namespace: 'tls', redisOptions: { tls: { ca: ca.cert } }, logger },
      admin,
    );
    expect(done).toContain('sweep');
    expect(done.at(-1)).toBe('close');
    expect(logger.text()).not.toMatch(/certificate|self.signed|TLS/i);
  });

  for (const [label, options] of [
    ['a CA that did not sign the server certificate', () => ({ tls: { ca: otherCa.cert } })],
    ['no CA at all (system roots only)', () => ({})],
  ] as const) {
    it(`refuses ${label}: REGISTRY_UNAVAILABLE within the connect timeout, no hang`, async () => {
      const logger = recordingLogger();
      const registry = new RedisRegistry({
        url: redis.url,
        namespace: 'tls-refused',
        connectTimeoutMs: 700,
        redisOptions: options(),
        logger,
      });
      try {
        const started = performance.now();
        const results = await Promise.allSettled([
          registry.register({ service: 'catalog', host: '127.0.0.1', ports: { grpc: 1 } }),
          registry.list('catalog'),
          registry.services(),
          registry.watch('catalog', () => undefined),
        ]);
        const elapsed = performance.now() - started;
        for (const result of results) {
          expect(result.status).toBe('rejected');
          const reason = (result as PromiseRejectedResult).reason;
          expect(SwitchyardError.hasCode(reason, 'REGISTRY_UNAVAILABLE'), String(reason)).toBe(true);
        }
        expect(elapsed).toBeLessThan(700 + 1_000);
        // What went wrong is visible to whoever reads debug logs.
        expect(deepText(logger.records.map((record) => record.fields))).toMatch(
          /self.signed|unable to verify|certificate/i,
        );
      } finally {
        await registry.close();
      }
      const admin = redis.admin();
      expect(await admin.keys('tls-refused:*')).toEqual([]);
    });
  }
});
