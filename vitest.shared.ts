/**
 * Shared vitest project definitions. Every package gets a `unit` project (fast, no external
 * dependencies) and an `int` project (`*.int.test.ts`, real Redis / real servers). Workspace
 * imports resolve to `src/`, so no build is needed before testing.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProjectInlineConfiguration } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packagesDir = join(root, 'packages');

/** `@switchyard/<name>` and `@switchyard/<name>/<subpath>` → the package's source entry files. */
export function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const aliases: { find: RegExp; replacement: string }[] = [];
  for (const name of readdirSync(packagesDir)) {
    const src = join(packagesDir, name, 'src');
    for (const sub of ['testing', 'experimental']) {
      const file = join(src, `${sub}.ts`);
      if (existsSync(file)) aliases.push({ find: new RegExp(`^@switchyard/${name}/${sub}$`), replacement: file });
    }
    const index = join(src, 'index.ts');
    if (existsSync(index)) aliases.push({ find: new RegExp(`^@switchyard/${name}$`), replacement: index });
  }
  return aliases;
}

/** The unit and integration projects of one package directory (relative to the repo root). */
export function packageProjects(dir: string): TestProjectInlineConfiguration[] {
  // Example services are named after their system too (shopping-guide/catalog), packages plainly.
  const name = dir.startsWith('examples/') ? dir.split('/').slice(1).join('/') : (dir.split('/').pop() as string);
  const base = { root: join(root, dir), resolve: { alias: workspaceAliases() } };
  return [
    {
      ...base,
      test: {
        name: `${name}:unit`,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        testTimeout: 10_000,
      },
    },
    {
      ...base,
      test: {
        name: `${name}:int`,
        include: ['src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 120_000,
        // Files of different projects still run side by side (the root run's maxWorkers: 2); every
        // suite starts its own Redis and servers on free ports, so they never share state.
        fileParallelism: false,
        retry: 0,
      },
    },
  ];
}

/** Every package (and example service) that has tests: packages/* and examples/<system>/<service>. */
export function allProjects(): TestProjectInlineConfiguration[] {
  const dirs = readdirSync(packagesDir).map((name) => `packages/${name}`);
  const examplesDir = join(root, 'examples');
  if (existsSync(examplesDir)) {
    for (const system of readdirSync(examplesDir)) {
      const systemDir = join(examplesDir, system);
      if (!existsSync(join(systemDir))) continue;
      for (const service of readdirSync(systemDir)) dirs.push(`examples/${system}/${service}`);
    }
  }
  return dirs.filter((dir) => existsSync(join(root, dir, 'src'))).flatMap(packageProjects);
}
