import { readFileSync } from 'node:fs';
import type { Options } from 'tsup';

/**
 * The build every `@switchyard/*` library shares: ESM + CJS + `.d.ts` from `tsconfig.build.json`,
 * source maps, Node 20, and `__SWITCHYARD_VERSION__` set to the package's version (the tracer's
 * instrumentation scope reports it). Each package's `tsup.config.ts` passes its own manifest URL
 * (this file is bundled into theirs, so its own `import.meta.url` would not be theirs) and its
 * entries; `overrides` adjusts the rest. A plain options object, so a package can export several
 * (e.g. an ESM-only entry next to the dual ones).
 */
export function libraryConfig(
  manifest: URL,
  entry: readonly string[] = ['src/index.ts'],
  overrides: Options = {},
): Options {
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return {
    entry: [...entry],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { composite: false } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
    define: { __SWITCHYARD_VERSION__: JSON.stringify(version) },
    ...overrides,
  };
}
