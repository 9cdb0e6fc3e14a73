import { isBuiltin } from 'node:module';

// The forms a built file names another module in: static import/export … from, side-effect
// import, dynamic import(), require(), and a .d.ts's triple-slash type reference.
// Static forms start a line (as bundlers and tsc print them), so text inside strings is not taken.
const SPECIFIER_PATTERNS = [
  /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"\s]+)['"]/gm,
  /^\s*import\s*['"]([^'"\s]+)['"]/gm,
  /\bimport\s*\(\s*['"]([^'"\s]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"\s]+)['"]\s*\)/g,
  /^\/\/\/\s*<reference\s+types\s*=\s*['"]([^'"\s]+)['"]/gm,
];

/** The module specifiers `code` imports or requires, each once. */
export function moduleSpecifiers(code: string): string[] {
  const found = new Set<string>();
  for (const pattern of SPECIFIER_PATTERNS) for (const match of code.matchAll(pattern)) found.add(match[1] as string);
  return [...found];
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`); undefined for relative paths and Node builtins. */
export function packageOfSpecifier(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#')) return undefined;
  if (isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A `/// <reference types="node" />` needs the consumer's @types/node, not a dependency of ours. */
export function isAmbientTypesReference(specifier: string): boolean {
  return specifier === 'node';
}

// esbuild marks each module it inlined from a dependency with a path comment:
// `// ../../node_modules/.pnpm/vitest@3.2.7/node_modules/vitest/dist/index.js`.
const INLINED_MODULE = /^\/\/ (\S*node_modules\/\S+)$/gm;

/** The third-party files the bundler copied into `code` instead of importing them. */
export function inlinedDependencyFiles(code: string): string[] {
  return [...code.matchAll(INLINED_MODULE)].map((match) => match[1] as string);
}
