import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from './manifest.js';
import { runCommandOrThrow } from './run-command.js';
import type { WorkspacePackage } from './workspace.js';

/** A package as `pnpm pack` made it: what `npm install` would give a user. */
export interface PackedPackage {
  name: string;
  /** The workspace package it came from. */
  source: WorkspacePackage;
  tarball: string;
  /** The files in the tarball, relative to the package root (`dist/index.js`). */
  files: string[];
  /** The package.json in the tarball (workspace:* already replaced by versions). */
  manifest: Manifest;
}

/**
 * Packs one package with `pnpm pack` (which rewrites `workspace:*` to real versions, as `pnpm
 * publish` does) into its own folder under `destination`, and lists what went in.
 */
export async function packPackage(pkg: WorkspacePackage, destination: string): Promise<PackedPackage> {
  const folder = join(destination, pkg.name.replace('/', '__'));
  await mkdir(folder, { recursive: true });
  await runCommandOrThrow('pnpm', ['pack', '--pack-destination', folder], { cwd: pkg.dir });
  const tarballs = (await readdir(folder)).filter((file) => file.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`pnpm pack of ${pkg.name} left ${tarballs.length} tarballs in ${folder}`);
  const tarball = join(folder, tarballs[0] as string);
  const listing = await runCommandOrThrow('tar', ['-tzf', tarball], { cwd: folder });
  const files = listing.stdout
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''))
    .sort();
  const manifestText = await runCommandOrThrow('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: folder });
  return { name: pkg.name, source: pkg, tarball, files, manifest: JSON.parse(manifestText.stdout) as Manifest };
}
