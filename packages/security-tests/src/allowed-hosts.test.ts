import { createDiscovery } from '@switchyard/discovery';
import { MemoryRegistry } from '@switchyard/registry';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from './support/arbitraries.js';
import { recordingLogger } from './support/recording-logger.js';

const ALLOWED = ['10.0.0.0/8', '*.svc.cluster.local', 'api.internal'];

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const allowedHost = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join('.')}.svc.cluster.local`),
  fc.constantFrom('api.internal', 'API.Internal', 'Catalog.SVC.cluster.local'),
);
/** Hosts outside the list, including spellings that resolvers might map into it, and the cloud metadata address. */
const hostileHost = fc.oneof(
  fc.ipV4().filter((ip) => !ip.startsWith('10.')),
  fc
    .domain()
    .filter(
      (domain) => !domain.toLowerCase().endsWith('.svc.cluster.local') && domain.toLowerCase() !== 'api.internal',
    ),
  fc.ipV6(),
  fc.constantFrom(
    '169.254.169.254',
    '127.0.0.1',
    'localhost',
    '0.0.0.0',
    '::1',
    '::ffff:10.0.0.1',
    '010.0.0.1',
    '10.1',
    '0x0a000001',
    '167772161',
    '10.0.0.1.nip.io',
    '10.0.0.1.evil.example',
    'svc.cluster.local',
    'evil-svc.cluster.local',
    'evilsvc.cluster.local',
    'x.svc.cluster.local.evil.example',
    'x.svc.cluster.localhost',
    'api.internal.evil.example',
    'apiinternal',
    'api-internal',
    'xapi.internal',
  ),
);

describe('allowedHosts: registry entries outside the list are never picked', () => {
  it('with any mix of allowed and hostile hosts, the view and every pick are exactly the allowed ones, each hostile one warned about', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(allowedHost, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(hostileHost, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('round-robin', 'random', 'p2c-ewma', 'maglev', 'least-outstanding'),
        async (good, bad, balancer) => {
          const registry = new MemoryRegistry();
          const logger = recordingLogger();
          const goodIds = new Set<string>();
          for (const [index, host] of good.entries()) {
            goodIds.add(`good-${index}`);
            await registry.register({ id: `good-${index}`, service: 'catalog', host, ports: { grpc: 50_051 } });
          }
          // Numeric spellings that URL parsers read as another IPv4 address (010.0.0.1 is 8.0.0.1,
          // 10.1 and 0x0a000001 are 10.0.0.1) are refused at register already: safe either way.
          const registered: number[] = [];
          for (const [index, host] of bad.entries()) {
            const refused = await registry
              .register({ id: `bad-${index}`, service: 'catalog', host, ports: { grpc: 50_051 } })
              .then(
                () => undefined,
                (error: { code?: string }) => error.code,
              );
            if (refused === undefined) registered.push(index);
            else expect(refused).toBe('INVALID_ARGUMENT');
          }
          const discovery = createDiscovery({ registry, service: 'catalog', allowedHosts: ALLOWED, balancer, logger });
          try {
            await discovery.ready({ timeoutMs: 1_000 });
            expect(new Set(discovery.instances().map((instance) => instance.id))).toEqual(goodIds);
            for (let pick = 0; pick < 50; pick++) {
              const lease = discovery.pick({ key: `user-${pick}` });
              expect(goodIds.has(lease.instance.id), `picked ${lease.instance.host}`).toBe(true);
              lease.done({ ok: true, latencyMs: 1 });
            }
            const warned = logger.find('warn', /not in allowedHosts/).map((record) => record.fields.id);
            for (const index of registered) expect(warned).toContain(`bad-${index}`);
          } finally {
            await discovery.close();
            await registry.close();
          }
        },
      ),
      runs(150),
    );
  });
});
