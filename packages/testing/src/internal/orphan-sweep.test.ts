import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { OWNERS_DIR, sweepOrphanedServers } from './orphan-sweep.js';

const written: string[] = [];
afterEach(() => {
  for (const path of written.splice(0)) rmSync(path, { recursive: true, force: true });
});

function writeRecord(name: string, record: unknown): void {
  mkdirSync(OWNERS_DIR, { recursive: true, mode: 0o700 });
  const file = join(OWNERS_DIR, name);
  writeFileSync(file, JSON.stringify(record));
  written.push(file);
}

it('deletes only server temp dirs, and survives records it cannot use', () => {
  // Not a server's temp dir (e.g. a project folder): a record naming it must not get it deleted.
  const precious = mkdtempSync(join(tmpdir(), 'not-a-redis-dir-'));
  written.push(precious);
  const deadOwner = 2_147_483_646;
  writeRecord('sweep-test-foreign.json', { owner: deadOwner, pid: 2_147_483_645, startTicks: 'x', dir: precious });
  // Malformed records: rmSync(undefined) threw out of the sweep, failing the next startRedis().
  writeRecord('sweep-test-empty.json', {});
  writeRecord('sweep-test-null.json', null);
  expect(() => sweepOrphanedServers()).not.toThrow();
  expect(existsSync(precious)).toBe(true);
});
