/**
 * `pnpm demo`: what Switchyard can show today (issue #2 — the registry). Starts a real Redis
 * (through @switchyard/testing, or SWITCHYARD_REGISTRY_URL), runs three catalog processes that
 * register themselves, watches the service, SIGKILLs one (it must leave within its TTL), drains
 * another with SIGTERM (draining → deregistered at once), and prints a summary. Exits non-zero when
 * an expectation fails. The shopping-guide system replaces this demo once it exists (issue #7).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRegistry, type RegistryEvent } from '@switchyard/registry';
import { startRedis } from '@switchyard/testing';

const TTL_MS = 2_000;
const started = Date.now();
const at = (): string => `${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s`;

const redis = process.env.SWITCHYARD_REGISTRY_URL ? undefined : await startRedis();
const url = process.env.SWITCHYARD_REGISTRY_URL ?? (redis?.url as string);
console.log(`${at()}  registry ${url} (${redis ? `Redis via ${redis.via}` : 'SWITCHYARD_REGISTRY_URL'})`);

const registry = createRegistry(url);
const events: { at: string; event: RegistryEvent }[] = [];
await registry.watch('catalog', (event) => {
  events.push({ at: at(), event });
  const detail =
    event.type === 'snapshot'
      ? `${event.instances.length} instances`
      : event.type === 'down'
        ? `${event.id} (${event.reason})`
        : event.type === 'stale'
          ? event.error.message
          : `${event.instance.id} ${event.instance.status}`;
  console.log(`${at()}  watch  ${event.type.padEnd(8)} ${detail}`);
});

const fixture = fileURLToPath(new URL('./instance.ts', import.meta.url));
const children: ChildProcess[] = [];
for (const [index, zone] of ['eu-1a', 'eu-1b', 'eu-1a'].entries()) {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fixture, url, `catalog-${index + 1}`, zone, String(TTL_MS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('registered') && resolve());
    child.on('exit', (code) => reject(new Error(`catalog-${index + 1} exited with ${code}`)));
  });
}
console.log(`${at()}  list   ${(await registry.list('catalog')).map((i) => `${i.id}@${i.zone}`).join(', ')}`);

const waitFor = async (predicate: (event: RegistryEvent) => boolean, timeoutMs: number): Promise<number> => {
  const from = Date.now();
  while (Date.now() - from < timeoutMs) {
    if (events.some((e) => predicate(e.event))) return Date.now() - from;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('expected registry event did not arrive');
};

children[0]?.kill('SIGKILL');
console.log(`${at()}  SIGKILL catalog-1 (TTL ${TTL_MS} ms)`);
const expiredAfter = await waitFor((e) => e.type === 'down' && e.id === 'catalog-1', TTL_MS + 2_000);

children[1]?.kill('SIGTERM');
console.log(`${at()}  SIGTERM catalog-2 (graceful drain)`);
const drainedAfter = await waitFor((e) => e.type === 'down' && e.id === 'catalog-2', 5_000);

const remaining = (await registry.list('catalog')).map((i) => i.id);
children[2]?.kill('SIGTERM');
await waitFor((e) => e.type === 'down' && e.id === 'catalog-3', 5_000);
await registry.close();
await redis?.stop();

console.log('\nSummary');
console.log(`  SIGKILLed instance left the registry after ${expiredAfter} ms (TTL ${TTL_MS} ms)`);
console.log(`  SIGTERMed instance drained and deregistered after ${drainedAfter} ms`);
console.log(`  live before shutdown: ${remaining.join(', ')}`);
console.log(`  events seen: ${events.length}`);
console.log(
  '\nThe shopping-guide example system (gateway, catalog, recommendation, search, orders) is not built yet (issue #7);',
);
console.log('this demo shows the registry it will run on.');
const ok = expiredAfter <= TTL_MS + 1_000 && remaining.length === 1 && remaining[0] === 'catalog-3';
if (!ok) {
  console.error('demo expectations failed');
  process.exit(1);
}
process.exit(0);
