import { it } from 'vitest';
import { expectReadmeShowsRegion } from '../../../test-support/readme-region.js';

it('shows the quick start exactly as test/quick-start.test.ts runs it', () => {
  expectReadmeShowsRegion(new URL('../README.md', import.meta.url), new URL('./quick-start.test.ts', import.meta.url));
});
