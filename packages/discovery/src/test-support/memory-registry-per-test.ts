/**
 * Test set-up for discovery's unit tests, imported for its hooks: a fresh MemoryRegistry before
 * each test, and after it the discoveries the test pushed on `discoveries` closed, then the
 * registry. `registry` is a live binding: the importing file reads the current test's one.
 */
import type { Discovery } from '@switchyard/discovery';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, beforeEach } from 'vitest';

export let registry: MemoryRegistry;
export const discoveries: Discovery[] = [];

beforeEach(() => {
  registry = new MemoryRegistry();
});
afterEach(async () => {
  await Promise.all(discoveries.splice(0).map((discovery) => discovery.close()));
  await registry.close();
});
