import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { linkInstalledPackage, locateInstalledPackage } from './installed-packages.js';
import { installedDependencies, requiredPeers } from './manifest.js';
import type { PackedPackage } from './pack-package.js';
import { runCommandOrThrow } from './run-command.js';

/** A throwaway project that installed the packed packages, as a user's service would. */
export interface ConsumerProject {
  dir: string;
}

export interface ConsumerOptions {
  /** What the consumer itself depends on (its test runner, @types/node), found from this folder. */
  ownDependencies: readonly string[];
  ownDependenciesFrom: string;
}

/**
 * Installs the tarballs into a new project at `dir` without the npm registry: each tarball is
 * extracted to node_modules/<name>, the way npm lays out a package; its third-party dependencies
 * are linked into its own node_modules from the copies pnpm installed for the workspace package
 * (so an import of something it does not declare fails, as under pnpm or a stricter installer),
 * and its required peers into the project's node_modules, where a user installs them. Optional
 * peers are left out: the packages must work without them.
 */
export async function installConsumerProject(
  dir: string,
  packed: readonly PackedPackage[],
  options: ConsumerOptions,
): Promise<ConsumerProject> {
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'switchyard-consumer', version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const packedNames = new Set(packed.map((pkg) => pkg.name));
  for (const pkg of packed) {
    const packageDir = join(dir, 'node_modules', pkg.name);
    await mkdir(packageDir, { recursive: true });
    await runCommandOrThrow('tar', ['-xzf', pkg.tarball, '-C', packageDir, '--strip-components=1'], { cwd: dir });
  }
  for (const pkg of packed) {
    for (const dependency of installedDependencies(pkg.manifest)) {
      if (packedNames.has(dependency)) continue; // extracted above, at the top, where Node finds it
      const target = installedForWorkspacePackage(pkg, dependency, 'dependency');
      await linkInstalledPackage(target, join(dir, 'node_modules', pkg.name, 'node_modules', dependency), pkg.name);
    }
    for (const peer of requiredPeers(pkg.manifest)) {
      if (packedNames.has(peer)) continue;
      const target = installedForWorkspacePackage(pkg, peer, 'peer dependency');
      await linkInstalledPackage(target, join(dir, 'node_modules', peer), `${pkg.name}'s peer ${peer}`);
    }
  }
  for (const own of options.ownDependencies) {
    const target = locateInstalledPackage(own, options.ownDependenciesFrom);
    if (target === undefined) throw new Error(`${own} is not installed for ${options.ownDependenciesFrom}`);
    await linkInstalledPackage(target, join(dir, 'node_modules', own), `the consumer's own ${own}`);
  }
  return { dir };
}

function installedForWorkspacePackage(pkg: PackedPackage, dependency: string, kind: string): string {
  if (dependency.startsWith('@switchyard/')) {
    throw new Error(`${pkg.name} has the ${kind} ${dependency}, which is not published (private or missing)`);
  }
  const target = locateInstalledPackage(dependency, pkg.source.dir);
  if (target === undefined) {
    throw new Error(
      `${pkg.name} declares the ${kind} ${dependency}, but the workspace has no copy of it for ${pkg.source.dir} (run pnpm install)`,
    );
  }
  return target;
}
