import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CJS_CONDITIONS, resolveTarget, type Subpath } from './export-map.js';
import { declaredNamesOfSources, sourceFileOf } from './source-exports.js';
import type { ConsumerTsFile } from './type-check.js';
import type { WorkspacePackage } from './workspace.js';

/**
 * Per subpath, a file importing every name (types and values) its source exports: the packed
 * .d.ts must have them all. As .mts (the import condition's types) and, for dual subpaths, as
 * .cts (the require condition's .d.cts).
 */
export function everyNameImports(subpaths: readonly { pkg: WorkspacePackage; subpath: Subpath }[]): ConsumerTsFile[] {
  const sources = subpaths.map(({ pkg, subpath }) => ({ pkg, subpath, file: sourceFileOf(pkg, subpath) }));
  const declared = declaredNamesOfSources(sources.map(({ file }) => file));
  return sources.flatMap(({ pkg, subpath, file }) => {
    const names = declared.get(file) ?? [];
    const base = `ts/${subpath.specifier.replace('@switchyard/', '').replace('/', '__')}.exports`;
    const source = `// Every name ${subpath.specifier}'s source exports.\nimport { ${names.map((name) => `type ${name}`).join(', ')} } from '${subpath.specifier}';\n`;
    const dual = resolveTarget(subpath.entry, CJS_CONDITIONS) !== undefined;
    return [
      { path: `${base}.mts`, owner: pkg.name, source },
      ...(dual ? [{ path: `${base}.cts`, owner: pkg.name, source }] : []),
    ];
  });
}

/**
 * The hand-written uses of each package's main API, `fixtures/usage/<package>/<name>.ts`: each
 * as .mts and .cts, except `*.esm.ts` (uses of ESM-only subpaths), only as .mts.
 */
export function usageFiles(usageDir: string): ConsumerTsFile[] {
  return readdirSync(usageDir).flatMap((folder) =>
    readdirSync(join(usageDir, folder))
      .sort()
      .flatMap((name) => {
        const source = readFileSync(join(usageDir, folder, name), 'utf8');
        const base = `ts/${folder}.${name.replace(/(\.esm)?\.ts$/, '')}.usage`;
        const owner = `@switchyard/${folder}`;
        return [
          { path: `${base}.mts`, owner, source },
          ...(name.endsWith('.esm.ts') ? [] : [{ path: `${base}.cts`, owner, source }]),
        ];
      }),
  );
}
