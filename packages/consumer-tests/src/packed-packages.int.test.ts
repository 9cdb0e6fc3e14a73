/**
 * What a user gets from `npm install @switchyard/<name>`: every publishable package is built, packed
 * with `pnpm pack`, and installed from its tarball into a throwaway project (no registry), which
 * then imports, requires and type-checks it. Workspace tests resolve imports to src/, so only this
 * suite sees the published artefacts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from './support/build-packages.js';
import { childEnv } from './support/child-env.js';
import { type ConsumerProject, installConsumerProject } from './support/consumer-project.js';
import { everyNameImports, usageFiles } from './support/consumer-ts-files.js';
import {
  CJS_CONDITIONS,
  pointedFiles,
  resolveTarget,
  type Subpath,
  subpathsOf,
  unexpectedConditions,
} from './support/export-map.js';
import { locateInstalledPackage } from './support/installed-packages.js';
import { importablePackages, type Manifest } from './support/manifest.js';
import { memoize } from './support/memoize.js';
import { type ModuleFormat, moduleFormatOf } from './support/module-format.js';
import {
  inlinedDependencyFiles,
  isAmbientTypesReference,
  moduleSpecifiers,
  packageOfSpecifier,
} from './support/module-specifiers.js';
import { type PackedPackage, packPackage } from './support/pack-package.js';
import { runCommand } from './support/run-command.js';
import { type ProbeResult, probeInsideVitest, probeModules } from './support/runtime-probe.js';
import { runtimeNamesOfSource, sourceFileOf } from './support/source-exports.js';
import { createTempSpace, type TempSpace } from './support/temp-space.js';
import { testArtefactKind } from './support/test-artefacts.js';
import {
  type ConsumerTsFile,
  ownerOfError,
  type TypeResolution,
  typeCheckConsumer,
  writeConsumerTsFiles,
} from './support/type-check.js';
import { publishablePackages } from './support/workspace.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixturesDir = join(packageDir, 'fixtures');

/**
 * Subpaths meant for test files: they import vitest, which loads only inside a vitest run and has
 * no CommonJS entry; so they are ESM-only, and loaded under the consumer's own vitest.
 */
const VITEST_SUBPATHS = new Set(['@switchyard/registry/testing']);

const packages = publishablePackages();
const subpaths = packages.flatMap((pkg) => subpathsOf(pkg.manifest).map((subpath) => ({ pkg, subpath })));
const nodeSubpaths = subpaths.filter(({ subpath }) => !VITEST_SUBPATHS.has(subpath.specifier));
const vitestSubpaths = subpaths.filter(({ subpath }) => VITEST_SUBPATHS.has(subpath.specifier));
const hasRequireTarget = (subpath: Subpath): boolean => resolveTarget(subpath.entry, CJS_CONDITIONS) !== undefined;

let space: TempSpace | undefined;
let consumer: ConsumerProject;
const packed = new Map<string, PackedPackage>();

beforeAll(async () => {
  await buildPackages(packages.map((pkg) => pkg.name));
  space = await createTempSpace('switchyard-consumer-');
  for (const pkg of packages) packed.set(pkg.name, await packPackage(pkg, join(space.root, 'tarballs')));
  consumer = await installConsumerProject(join(space.root, 'project'), [...packed.values()], {
    ownDependencies: ['vitest', '@types/node'],
    ownDependenciesFrom: packageDir,
  });
}, 600_000);

afterAll(async () => {
  // SWITCHYARD_KEEP_CONSUMER=1 leaves the project (and tarballs) for a look after a failure.
  if (process.env.SWITCHYARD_KEEP_CONSUMER === '1') console.log(`consumer project kept in ${space?.root}`);
  else await space?.remove();
});

const packedOf = (name: string): PackedPackage => packed.get(name) as PackedPackage;
const installedFile = (name: string, file: string): string => join(consumer.dir, 'node_modules', name, file);
const builtCodeOf = (name: string): string[] => packedOf(name).files.filter(isBuiltCode);

describe.each(packages)('$name tarball', (pkg) => {
  it('holds every file its package.json points to (main, module, types, bin, exports)', () => {
    const { manifest, files } = packedOf(pkg.name);
    const missing = pointedFiles(manifest)
      .filter(({ file }) => !files.includes(file))
      .map(({ field, file }) => `${pkg.name}: ${field} points to ${file}, which is not in the tarball`);
    expect(missing).toEqual([]);
  });

  it('uses only standard export conditions and @switchyard/source (no generic names such as source)', () => {
    const unexpected = unexpectedConditions(packedOf(pkg.name).manifest).map(
      ({ field, condition }) =>
        `${pkg.name}: ${field} has the condition "${condition}"; a user's own conditions could select it (ours is "@switchyard/source")`,
    );
    expect(unexpected).toEqual([]);
  });

  it('holds no test files', () => {
    const artefacts = packedOf(pkg.name).files.flatMap((file) => {
      const kind = testArtefactKind(file);
      return kind === undefined ? [] : [`${pkg.name}: ${file} is ${kind}`];
    });
    expect(artefacts).toEqual([]);
  });

  it('declares (dependencies or peerDependencies) every package its built files import', () => {
    const { manifest } = packedOf(pkg.name);
    const importable = importablePackages(manifest);
    const undeclared = builtCodeOf(pkg.name).flatMap((file) =>
      moduleSpecifiers(readFileSync(installedFile(pkg.name, file), 'utf8')).flatMap((specifier) => {
        const name = packageOfSpecifier(specifier);
        if (name === undefined || importable.has(name) || isAmbientTypesReference(specifier)) return [];
        return [`${pkg.name}: ${file} imports '${specifier}', but ${name} is ${whereDeclared(manifest, name)}`];
      }),
    );
    expect(undeclared).toEqual([]);
  });

  it('copies no third-party code into its built files (dependencies stay imports)', () => {
    const copied = builtCodeOf(pkg.name).flatMap((file) =>
      inlinedDependencyFiles(readFileSync(installedFile(pkg.name, file), 'utf8')).map(
        // One line per copied package and file is enough to read.
        (copy) =>
          `${pkg.name}: ${file} holds a copy of ${copy.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, '$1')}`,
      ),
    );
    expect([...new Set(copied)]).toEqual([]);
  });

  it('depends on the published versions of other @switchyard packages (no workspace: ranges)', () => {
    const { manifest } = packedOf(pkg.name);
    const wrong: string[] = [];
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        const sibling = packed.get(name);
        if (range.startsWith('workspace:')) wrong.push(`${pkg.name}: ${field}.${name} is still ${range}`);
        // workspace:* packs as the exact version, workspace:^ and workspace:~ as ^version and ~version.
        else if (sibling && range.replace(/^[\^~]/, '') !== sibling.manifest.version) {
          wrong.push(
            `${pkg.name}: ${field}.${name} is ${range}, but the packed ${name} is ${sibling.manifest.version}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

const probe = {
  esm: memoize(() => probeModules(consumer.dir, specifiersOf(nodeSubpaths), 'esm')),
  cjs: memoize(() =>
    probeModules(consumer.dir, specifiersOf(nodeSubpaths.filter((s) => hasRequireTarget(s.subpath))), 'cjs'),
  ),
  vitest: memoize(() => probeInsideVitest(consumer.dir, specifiersOf(vitestSubpaths), readFixtures('vitest'))),
};

describe.each(nodeSubpaths)('$subpath.specifier', ({ pkg, subpath }) => {
  it('import() works, from the ESM build, and gives every name its source exports', async () => {
    const result = (await probe.esm()).get(subpath.specifier);
    expectModule(subpath, 'esm', result, await runtimeNamesOfSource(sourceFileOf(pkg, subpath)));
  });

  it('require() works, from the CJS build, and gives the same names', async () => {
    expect(hasRequireTarget(subpath), `${subpath.specifier}: exports["${subpath.key}"] has no require target`).toBe(
      true,
    );
    const result = (await probe.cjs()).get(subpath.specifier);
    expectModule(subpath, 'cjs', result, await runtimeNamesOfSource(sourceFileOf(pkg, subpath)));
  });
});

describe.each(vitestSubpaths)('$subpath.specifier (for test files)', ({ pkg, subpath }) => {
  it("import() works inside the consumer's vitest and gives every name its source exports", async () => {
    const { results } = await probe.vitest();
    expectModule(
      subpath,
      'esm',
      results.get(subpath.specifier),
      await runtimeNamesOfSource(sourceFileOf(pkg, subpath)),
    );
  });

  it('is ESM-only: no require target, which could only throw (vitest cannot be require()d)', () => {
    expect(hasRequireTarget(subpath), `${subpath.specifier}: exports["${subpath.key}"] has a require target`).toBe(
      false,
    );
  });
});

describe("the consumer's own vitest tests, using the packed test helpers", () => {
  it('run and pass (the registry contract suite against the memory backend)', async () => {
    const { report } = await probe.vitest();
    const failures = report.testResults.flatMap((file) => [
      ...(file.status === 'failed' && file.message ? [`${file.name}: ${file.message}`] : []),
      ...file.assertionResults
        .filter((test) => test.status === 'failed')
        .map((test) => `${test.fullName}: ${test.failureMessages.join('\n')}`),
    ]);
    expect(failures).toEqual([]);
    // The contract suite has over a dozen tests; the probe file has one.
    expect(report.numPassedTests, 'the registry contract suite registered no tests').toBeGreaterThan(5);
  });
});

describe.each(packages.filter((pkg) => pkg.manifest.bin !== undefined))('$name commands', (pkg) => {
  it('run from the tarball and print the packed version', async () => {
    const { manifest } = packedOf(pkg.name);
    const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
    for (const [command, file] of Object.entries(bins)) {
      const outcome = await runCommand(process.execPath, [installedFile(pkg.name, file), '--version'], {
        cwd: consumer.dir,
        env: childEnv(),
        timeoutMs: 30_000,
      });
      expect(
        `exit ${outcome.exitCode}: ${outcome.stdout.trim()}`,
        `${pkg.name}: ${command} --version\n${outcome.stderr}`,
      ).toBe(`exit 0: ${manifest.version}`);
    }
  });
});

const consumerTsFiles = memoize((): ConsumerTsFile[] => [
  ...everyNameImports(subpaths),
  ...usageFiles(join(fixturesDir, 'usage')),
]);
const writtenTsFiles = memoize(() => writeConsumerTsFiles(consumer.dir, consumerTsFiles()));
const tscPath = (): string => join(locateInstalledPackage('typescript', packageDir) as string, 'bin', 'tsc');
const typeCheckUnder = (resolution: TypeResolution) =>
  memoize(async () => {
    await writtenTsFiles();
    return typeCheckConsumer(consumer.dir, resolution, tscPath());
  });
const typeErrors = { nodenext: typeCheckUnder('nodenext'), bundler: typeCheckUnder('bundler') };

describe.each(['nodenext', 'bundler'] as const)(
  'a TypeScript consumer (moduleResolution %s, skipLibCheck false)',
  (resolution) => {
    it.each(packages)('compiles against the packed types of $name', async (pkg) => {
      const errors = (await typeErrors[resolution]())
        .filter((error) => ownerOfError(error, consumerTsFiles()) === pkg.name)
        .map((error) => `${pkg.name} (${resolution}): ${error.message}`);
      expect(errors).toEqual([]);
    });

    it('compiles with no error outside the Switchyard files', async () => {
      const errors = (await typeErrors[resolution]())
        .filter((error) => ownerOfError(error, consumerTsFiles()) === undefined)
        .map((error) => `(${resolution}) ${error.message}`);
      expect(errors).toEqual([]);
    });
  },
);

/** Built JavaScript and declaration files: what a consumer's runtime or compiler reads. */
function isBuiltCode(file: string): boolean {
  return /^dist\/.*\.(js|cjs|mjs|d\.ts|d\.cts|d\.mts)$/.test(file);
}

function whereDeclared(manifest: Manifest, name: string): string {
  return manifest.devDependencies?.[name] !== undefined
    ? 'only a devDependency (users do not get it)'
    : 'not declared at all';
}

function specifiersOf(list: readonly { subpath: Subpath }[]): string[] {
  return list.map(({ subpath }) => subpath.specifier);
}

/** The files of fixtures/<folder>, by name. */
function readFixtures(folder: string): { name: string; source: string }[] {
  const dir = join(fixturesDir, folder);
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, source: readFileSync(join(dir, name), 'utf8') }));
}

/** The probe loaded the subpath, from the build of `format` (when it knows the file), with the source's names. */
function expectModule(
  subpath: Subpath,
  format: ModuleFormat,
  result: ProbeResult | undefined,
  expected: string[],
): void {
  const how = format === 'esm' ? 'import()' : 'require()';
  if (result === undefined) throw new Error(`${subpath.specifier}: the ${format} probe has no result for it`);
  if ('error' in result) throw new Error(`${subpath.specifier}: ${how} failed:\n${result.error}`);
  if (result.resolved !== undefined) {
    expect(
      moduleFormatOf(result.resolved),
      `${subpath.specifier}: ${how} loaded ${result.resolved}, which Node does not load as ${format}`,
    ).toBe(format);
  }
  const missing = expected.filter((name) => !result.names.includes(name));
  const extra = result.names.filter((name) => !expected.includes(name));
  expect({ missing, extra }, `${subpath.specifier}: ${how} gives other names than its source exports`).toEqual({
    missing: [],
    extra: [],
  });
}
