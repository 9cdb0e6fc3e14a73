import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { Subpath } from './export-map.js';
import { resolveTarget } from './export-map.js';
import type { WorkspacePackage } from './workspace.js';

/**
 * The source file behind a subpath: its `@switchyard/source` condition, else the dist file's name under src/
 * (`./dist/testing.js` → `src/testing.ts`). The source is what the documented names come from.
 */
export function sourceFileOf(pkg: WorkspacePackage, subpath: Subpath): string {
  const declared = resolveTarget(subpath.entry, ['@switchyard/source']);
  const candidates = [
    ...(declared?.endsWith('.ts') ? [declared] : []),
    (resolveTarget(subpath.entry, ['import']) ?? '').replace(/^\.?\/?dist\//, 'src/').replace(/\.m?js$/, '.ts'),
  ];
  for (const candidate of candidates) {
    const file = join(pkg.dir, candidate);
    if (candidate !== '' && existsSync(file)) return file;
  }
  throw new Error(`${subpath.specifier}: no source file found (tried ${candidates.join(', ')} in ${pkg.dir})`);
}

/**
 * The run-time names a source module exports (functions, classes, constants; no types), read by
 * importing it: under vitest, workspace imports resolve to src/, so this is the code as written.
 */
export async function runtimeNamesOfSource(file: string): Promise<string[]> {
  const module = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
  return Object.keys(module).sort();
}

/**
 * Every name (values and types) each source module exports, from the TypeScript checker: what a
 * TypeScript consumer must be able to import from the package's .d.ts files.
 */
export function declaredNamesOfSources(files: readonly string[]): Map<string, string[]> {
  // Names only, no type checking: without the standard library and @types/node it reads half the files.
  const program = ts.createProgram([...files], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noLib: true,
    types: [],
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  for (const file of files) {
    const sourceFile = program.getSourceFile(file);
    const symbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
    if (!symbol) throw new Error(`TypeScript could not read the exports of ${file}`);
    names.set(
      file,
      checker
        .getExportsOfModule(symbol)
        .map((exported) => exported.name)
        .sort(),
    );
  }
  return names;
}
