import { it } from 'vitest';
import { expectReadmeShowsRegion } from '../../../test-support/readme-region.js';

const readme = new URL('../README.md', import.meta.url);
const source = new URL('./quick-start.test.ts', import.meta.url);

it('shows both quick-start blocks exactly as test/quick-start.test.ts runs them', () => {
  expectReadmeShowsRegion(readme, source, 'quick-start');
  expectReadmeShowsRegion(readme, source, 'in-tests');
});
