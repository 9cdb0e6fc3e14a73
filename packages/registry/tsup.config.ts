import { libraryConfig } from '../../tsup.library.ts';

const manifest = new URL('./package.json', import.meta.url);

// @switchyard/registry/testing runs inside vitest test files, so it is ESM only (vitest cannot be
// require()d) and vitest stays an import (an optional peer): bundled, its copy of the runner
// registered none of the contract's tests. Both entries' ESM and types are built together, so they
// share one declaration of Registry; the CommonJS build is the main entry's alone.
export default [
  libraryConfig(manifest, ['src/index.ts', 'src/testing.ts'], { format: ['esm'] }),
  libraryConfig(manifest, ['src/index.ts'], { format: ['cjs'], clean: false }),
];
