/**
 * The pure pieces the consumer test's verdicts rest on: what counts as an import, a copied
 * dependency, a test file, an exports target, a tsc error. Fast, no packing.
 */
import { describe, expect, it } from 'vitest';
import { pointedFiles, resolveTarget, subpathsOf, unexpectedConditions } from './export-map.js';
import type { ExportTarget } from './manifest.js';
import { inlinedDependencyFiles, moduleSpecifiers, packageOfSpecifier } from './module-specifiers.js';
import { testArtefactKind } from './test-artefacts.js';
import { parseTscOutput } from './type-check.js';

describe('moduleSpecifiers', () => {
  it('finds static, side-effect, dynamic, require and type-reference forms', () => {
    const code = [
      '/// <reference types="node" />',
      'import { a,',
      '  b } from "@scope/pkg/sub";',
      "export * from './local.js';",
      'import "side-effect";',
      'const lazy = () => import("lazy-dep");',
      'var x = require("cjs-dep");',
      "type T = import('type-dep').T;",
    ].join('\n');
    expect(moduleSpecifiers(code).sort()).toEqual(
      ['./local.js', '@scope/pkg/sub', 'cjs-dep', 'lazy-dep', 'node', 'side-effect', 'type-dep'].sort(),
    );
  });

  it('ignores import-like text inside strings and mid-line', () => {
    const code = `const help = "usage: import x from 'not-a-dep'";\nconst s = ', from ",\\n"';`;
    expect(moduleSpecifiers(code)).toEqual([]);
  });
});

describe('packageOfSpecifier', () => {
  it('names the package of bare specifiers and nothing for relative paths or builtins', () => {
    expect(packageOfSpecifier('@opentelemetry/otlp-exporter-base/node-http')).toBe('@opentelemetry/otlp-exporter-base');
    expect(packageOfSpecifier('undici')).toBe('undici');
    expect(packageOfSpecifier('lodash/fp')).toBe('lodash');
    expect(packageOfSpecifier('./chunk.js')).toBeUndefined();
    expect(packageOfSpecifier('node:http')).toBeUndefined();
    expect(packageOfSpecifier('crypto')).toBeUndefined();
  });
});

describe('inlinedDependencyFiles', () => {
  it("finds esbuild's path comments of inlined dependency modules, not the package's own", () => {
    const code =
      '// src/index.ts\nvar a = 1;\n// ../../node_modules/.pnpm/vitest@3.2.7/node_modules/vitest/dist/index.js\nvar b;\n';
    expect(inlinedDependencyFiles(code)).toEqual([
      '../../node_modules/.pnpm/vitest@3.2.7/node_modules/vitest/dist/index.js',
    ]);
  });
});

describe('testArtefactKind', () => {
  it.each([
    ['src/readme.test.ts', 'a test file'],
    ['src/a/b.int.test.ts', 'a test file'],
    ['src/x.test-d.ts', 'a type test'],
    ['src/client/__snapshots__/call.int.test.ts.snap', 'a test snapshot'],
    ['src/test-support/collector.ts', 'test support'],
  ])('flags %s as %s', (file, kind) => {
    expect(testArtefactKind(file)).toBe(kind);
  });

  it.each(['dist/index.js', 'src/testing.ts', 'src/contest.ts', 'README.md'])('lets %s through', (file) => {
    expect(testArtefactKind(file)).toBeUndefined();
  });
});

describe('exports maps', () => {
  const manifest = {
    name: '@switchyard/x',
    version: '1.0.0',
    main: './dist/index.cjs',
    bin: { x: './dist/bin.js' },
    exports: {
      '.': {
        '@switchyard/source': './src/index.ts',
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './testing': { import: { types: './dist/testing.d.ts', default: './dist/testing.js' } },
      './package.json': './package.json',
    },
  };

  it('lists module subpaths (not package.json) with their specifiers', () => {
    expect(subpathsOf(manifest).map((subpath) => subpath.specifier)).toEqual([
      '@switchyard/x',
      '@switchyard/x/testing',
    ]);
  });

  it("resolves targets by Node's condition order", () => {
    const [main, testing] = subpathsOf(manifest);
    expect(resolveTarget(main!.entry, ['node', 'require'])).toBe('./dist/index.cjs');
    expect(resolveTarget(main!.entry, ['types', 'node', 'import'])).toBe('./dist/index.d.ts');
    expect(resolveTarget(testing!.entry, ['node', 'require'])).toBeUndefined();
  });

  it('names every file the manifest points to, with the field', () => {
    expect(pointedFiles(manifest)).toContainEqual({ field: 'bin.x', file: 'dist/bin.js' });
    expect(pointedFiles(manifest)).toContainEqual({
      field: 'exports["./testing"]["import"]["types"]',
      file: 'dist/testing.d.ts',
    });
    expect(pointedFiles(manifest)).toContainEqual({
      field: 'exports["."]["@switchyard/source"]',
      file: 'src/index.ts',
    });
  });

  it('accepts the standard conditions and @switchyard/source', () => {
    expect(unexpectedConditions(manifest)).toEqual([]);
    expect(unexpectedConditions({ ...manifest, exports: './dist/index.js' })).toEqual([]);
  });

  it('flags a generic source condition and any other unknown one, at any depth and in fallback arrays', () => {
    const leaky = {
      ...manifest,
      exports: {
        '.': { source: './src/index.ts', import: { types: './dist/index.d.ts', default: './dist/index.js' } },
        './testing': { import: { 'ts-source': './src/testing.ts', default: './dist/testing.js' } },
        // A fallback array: valid in package.json, though the Manifest type does not model it.
        './extra': [{ worker: './dist/extra.js' }, './dist/extra.js'] as unknown as ExportTarget,
      },
    };
    expect(unexpectedConditions(leaky)).toEqual([
      { field: 'exports["."]', condition: 'source' },
      { field: 'exports["./testing"]["import"]', condition: 'ts-source' },
      { field: 'exports["./extra"][0]', condition: 'worker' },
    ]);
    // A conditions object without subpaths (exports: { source, default }) is read the same way.
    expect(
      unexpectedConditions({ ...manifest, exports: { source: './src/index.ts', default: './dist/index.js' } }),
    ).toEqual([{ field: 'exports', condition: 'source' }]);
  });
});

describe('parseTscOutput', () => {
  it('keeps each error with its continuation lines, and global errors', () => {
    const output = [
      "ts/a.mts(2,10): error TS2305: Module '\"@switchyard/x\"' has no exported member 'y'.",
      "node_modules/@switchyard/x/dist/index.d.ts(3,22): error TS2307: Cannot find module 'undici'.",
      '  The file is in the program because:',
      "error TS2688: Cannot find type definition file for 'node'.",
    ].join('\n');
    expect(parseTscOutput(output)).toEqual([
      { file: 'ts/a.mts', message: "ts/a.mts:2:10 TS2305: Module '\"@switchyard/x\"' has no exported member 'y'." },
      {
        file: 'node_modules/@switchyard/x/dist/index.d.ts',
        message:
          "node_modules/@switchyard/x/dist/index.d.ts:3:22 TS2307: Cannot find module 'undici'.\n  The file is in the program because:",
      },
      { file: '', message: "error TS2688: Cannot find type definition file for 'node'." },
    ]);
  });
});
