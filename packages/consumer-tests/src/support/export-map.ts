import type { ExportTarget, Manifest } from './manifest.js';

/** Node's conditions for `import` and `require`, and TypeScript's (nodenext) for each. */
export const ESM_CONDITIONS = ['node', 'import'] as const;
export const CJS_CONDITIONS = ['node', 'require'] as const;
export const ESM_TYPES_CONDITIONS = ['types', 'node', 'import'] as const;
export const CJS_TYPES_CONDITIONS = ['types', 'node', 'require'] as const;

/** One `exports` subpath a consumer can import, e.g. `@switchyard/registry/testing`. */
export interface Subpath {
  /** The bare specifier a consumer writes. */
  specifier: string;
  /** The key in `exports`: `.` or `./testing`. */
  key: string;
  entry: ExportTarget;
}

/** The subpaths of a manifest's `exports` that are modules (not `./package.json`, no patterns). */
export function subpathsOf(manifest: Manifest): Subpath[] {
  const exports = manifest.exports;
  if (exports === undefined || exports === null)
    return [{ specifier: manifest.name, key: '.', entry: manifest.main ?? null }];
  const map = isSubpathMap(exports) ? (exports as Record<string, ExportTarget>) : { '.': exports };
  return Object.entries(map)
    .filter(([key]) => !key.endsWith('.json') && !key.includes('*'))
    .map(([key, entry]) => ({
      specifier: key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`,
      key,
      entry,
    }));
}

/** The file `entry` resolves to under `conditions` (Node's algorithm: first matching key in order, `default` always matches). */
export function resolveTarget(entry: ExportTarget, conditions: readonly string[]): string | undefined {
  if (entry === null) return undefined;
  if (typeof entry === 'string') return entry;
  for (const [condition, nested] of Object.entries(entry)) {
    if (condition !== 'default' && !conditions.includes(condition)) continue;
    const found = resolveTarget(nested, conditions);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every file a manifest points at (main, module, types, bin, each exports target), with the field naming it. */
export function pointedFiles(manifest: Manifest): { field: string; file: string }[] {
  const pointed: { field: string; file: string }[] = [];
  for (const field of ['main', 'module', 'types'] as const) {
    const file = manifest[field];
    if (file !== undefined) pointed.push({ field, file });
  }
  const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
  for (const [command, file] of Object.entries(bins)) pointed.push({ field: `bin.${command}`, file });
  const walk = (target: ExportTarget | undefined, field: string): void => {
    if (target === null || target === undefined) return;
    if (typeof target === 'string') pointed.push({ field, file: target });
    else for (const [key, nested] of Object.entries(target)) walk(nested, `${field}[${JSON.stringify(key)}]`);
  };
  walk(manifest.exports, 'exports');
  return pointed.map(({ field, file }) => ({ field, file: normalise(file) }));
}

/**
 * The export conditions a published package may use: Node's own (`node`, `import`, `require`,
 * `module-sync`, `node-addons`, `default`), the community ones Node's documentation defines (`types`,
 * `browser`, `development`, `production`), and ours, `@switchyard/source` (the TypeScript sources,
 * for the repository's own tooling). Any other name can collide with a user's: a project that runs
 * `node --conditions=source` (or TypeScript with `customConditions: ["source"]`) for its own packages
 * would load our raw `.ts` files from node_modules.
 */
export const ALLOWED_CONDITIONS: ReadonlySet<string> = new Set([
  'node',
  'import',
  'require',
  'module-sync',
  'node-addons',
  'default',
  'types',
  'browser',
  'development',
  'production',
  '@switchyard/source',
]);

/** Every condition in a manifest's `exports` that is not in `allowed`, with the field naming it. */
export function unexpectedConditions(
  manifest: Manifest,
  allowed: ReadonlySet<string> = ALLOWED_CONDITIONS,
): { field: string; condition: string }[] {
  const found: { field: string; condition: string }[] = [];
  const walk = (target: unknown, field: string): void => {
    if (target === null || typeof target !== 'object') return;
    if (Array.isArray(target)) {
      for (const [index, nested] of target.entries()) walk(nested, `${field}[${index}]`);
      return;
    }
    for (const [key, nested] of Object.entries(target)) {
      // Subpath keys (`.`, `./testing`) are not conditions; what they map to may hold some.
      if (!key.startsWith('.') && !allowed.has(key)) found.push({ field, condition: key });
      walk(nested, `${field}[${JSON.stringify(key)}]`);
    }
  };
  walk(manifest.exports, 'exports');
  return found;
}

/** `./dist/index.js` → `dist/index.js`, as tarball listings name files. */
export function normalise(file: string): string {
  return file.replace(/^\.\//, '');
}

function isSubpathMap(exports: NonNullable<Manifest['exports']>): boolean {
  return typeof exports === 'object' && Object.keys(exports).some((key) => key.startsWith('.'));
}
