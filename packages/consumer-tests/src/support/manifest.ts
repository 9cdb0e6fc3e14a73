import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A conditional exports entry: a path, or conditions mapping to further entries (null excludes). */
export type ExportTarget = string | null | { [condition: string]: ExportTarget };

/** The package.json fields packaging cares about. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: 'module' | 'commonjs';
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  files?: string[];
  exports?: ExportTarget | Record<string, ExportTarget>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

export function readManifest(packageDir: string): Manifest {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest;
}

/** `@switchyard/grpc` → `grpc`: the package's folder under packages/. */
export function shortName(name: string): string {
  return name.slice(name.indexOf('/') + 1);
}

/** What a user's install brings along for this package: dependencies and optional dependencies. */
export function installedDependencies(manifest: Manifest): string[] {
  return Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies });
}

/** Peers a user must install next to the package (the optional ones excluded). */
export function requiredPeers(manifest: Manifest): string[] {
  return Object.keys(manifest.peerDependencies ?? {}).filter(
    (name) => manifest.peerDependenciesMeta?.[name]?.optional !== true,
  );
}

/** Every package name the package may import at run time: its own, dependencies and peers (optional too). */
export function importablePackages(manifest: Manifest): Set<string> {
  return new Set([manifest.name, ...installedDependencies(manifest), ...Object.keys(manifest.peerDependencies ?? {})]);
}
