import { it } from 'vitest';
import { expectReadmeShowsRegion } from '../../../test-support/readme-region.js';

it('shows the programmatic dashboard example exactly as test/dashboard-example.int.test.ts runs it', () => {
  expectReadmeShowsRegion(
    new URL('../README.md', import.meta.url),
    new URL('./dashboard-example.int.test.ts', import.meta.url),
    'dashboard',
  );
});
