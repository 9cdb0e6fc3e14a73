/** The README's programmatic dashboard example, run as it is shown against a throwaway Redis. */
import { startRedis } from '@switchyard/testing';
import { afterAll, expect, it } from 'vitest';

const redis = await startRedis();
afterAll(() => redis.stop());
process.env.SWITCHYARD_REGISTRY_URL = redis.url;
process.env.DASHBOARD_PORT = '0'; // any free port: never a fixed one in tests
const printed: string[] = [];
const log = console.log;
console.log = (...args: unknown[]) => printed.push(args.map(String).join(' '));

// #region dashboard
import { startDashboard } from '@switchyard/cli';
import { createRegistry } from '@switchyard/registry';

const registry = createRegistry(process.env.SWITCHYARD_REGISTRY_URL ?? 'redis://127.0.0.1:6379');
const dashboard = await startDashboard({ registry, port: Number(process.env.DASHBOARD_PORT ?? 7070) });
console.log(dashboard.url); // http://127.0.0.1:7070/
const page = await fetch(dashboard.url);
console.log(page.status, page.headers.get('content-type'));
await dashboard.close();
await registry.close();
// #endregion dashboard

console.log = log;
delete process.env.SWITCHYARD_REGISTRY_URL;
delete process.env.DASHBOARD_PORT;

it('runs the programmatic dashboard example', () => {
  expect(printed[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  expect(printed[0]).not.toBe('http://127.0.0.1:0/');
  expect(printed[1]).toMatch(/^200 text\/html/);
});
