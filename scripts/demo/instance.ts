/**
 * One demo "catalog" process: registers itself and heartbeats until it is told to drain
 * (SIGTERM) or killed. argv: <registry url> <id> <zone> <ttlMs>
 */
import { createRegistry } from '@switchyard/registry';

const [url, id, zone, ttl] = process.argv.slice(2) as [string, string, string, string];
const registry = createRegistry(url);
const registration = await registry.register(
  { id, service: 'catalog', version: '1.0.0', zone, host: '127.0.0.1', ports: { grpc: 50_000 + Number(id.slice(-1)) } },
  { ttlMs: Number(ttl) },
);
process.stdout.write('registered\n');
process.on('SIGTERM', async () => {
  await registration.update({ status: 'draining' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await registry.close(); // deregisters
  process.exit(0);
});
setInterval(() => {}, 1_000); // heartbeat timers are unref'd by design; keep the process alive
