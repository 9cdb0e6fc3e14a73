import { it } from 'vitest';
import { expectReadmeShowsRegion } from '../../../test-support/readme-region.js';

it('shows the quick start exactly as test/quick-start.int.test.ts runs it', () => {
  expectReadmeShowsRegion(
    new URL('../README.md', import.meta.url),
    new URL('./quick-start.int.test.ts', import.meta.url),
  );
});

it('shows the typed clients and servers example exactly as src/typed-service.test-d.ts compiles it', () => {
  expectReadmeShowsRegion(
    new URL('../README.md', import.meta.url),
    new URL('../src/typed-service.test-d.ts', import.meta.url),
    'typed',
  );
});

it('shows the request-streaming example exactly as test/request-streams-example.int.test.ts runs it', () => {
  expectReadmeShowsRegion(
    new URL('../README.md', import.meta.url),
    new URL('./request-streams-example.int.test.ts', import.meta.url),
    'request-streams',
  );
});
