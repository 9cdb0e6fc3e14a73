import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childEnv } from './child-env.js';
import type { ModuleFormat } from './module-format.js';
import { runCommand } from './run-command.js';

/** What loading one specifier gave: its export names and the file it resolved to (when known), or the error. */
export type ProbeResult = { names: string[]; resolved?: string } | { error: string };

// Each probe loads every specifier in one fresh `node`, from the consumer project, by bare name:
// the resolution a user's code gets. Errors are kept per specifier, with their stack.
const PROBES: Record<ModuleFormat, { file: string; source: string }> = {
  esm: {
    file: 'probe-import.mjs',
    source: `const results = {};
for (const specifier of JSON.parse(process.argv[2])) {
  try {
    const names = Object.keys(await import(specifier)).sort();
    results[specifier] = { names, resolved: new URL(import.meta.resolve(specifier)).pathname };
  } catch (error) {
    results[specifier] = { error: String(error?.stack ?? error) };
  }
}
process.stdout.write(JSON.stringify(results));
`,
  },
  cjs: {
    file: 'probe-require.cjs',
    source: `const results = {};
for (const specifier of JSON.parse(process.argv[2])) {
  try {
    const names = Object.keys(require(specifier)).sort();
    results[specifier] = { names, resolved: require.resolve(specifier) };
  } catch (error) {
    results[specifier] = { error: String(error?.stack ?? error) };
  }
}
process.stdout.write(JSON.stringify(results));
`,
  },
};

/**
 * Loads each specifier with `import()` (esm) or `require()` (cjs) in a plain node process in
 * `projectDir`: all in one process, then each that failed again alone, so its error is its own (a
 * module that failed to link in one process garbles later, unrelated imports there).
 */
export async function probeModules(
  projectDir: string,
  specifiers: readonly string[],
  format: ModuleFormat,
): Promise<Map<string, ProbeResult>> {
  const probe = PROBES[format];
  await writeFile(join(projectDir, probe.file), probe.source);
  const results = await runProbe(projectDir, probe.file, specifiers, format);
  for (const [specifier, result] of results) {
    if (!('error' in result)) continue;
    const alone = await runProbe(projectDir, probe.file, [specifier], format);
    results.set(specifier, alone.get(specifier) as ProbeResult);
  }
  return results;
}

async function runProbe(
  projectDir: string,
  file: string,
  specifiers: readonly string[],
  format: ModuleFormat,
): Promise<Map<string, ProbeResult>> {
  const outcome = await runCommand(process.execPath, [file, JSON.stringify(specifiers)], {
    cwd: projectDir,
    env: childEnv(),
    timeoutMs: 60_000,
  });
  if (outcome.exitCode !== 0) {
    throw new Error(
      `the ${format} probe of ${specifiers.join(', ')} exited with ${outcome.exitCode}:\n${outcome.stdout}\n${outcome.stderr}`,
    );
  }
  return new Map(Object.entries(JSON.parse(outcome.stdout) as Record<string, ProbeResult>));
}

/** The outcome of a vitest run in the consumer project: its JSON report. */
export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

/**
 * Subpaths meant for test files (they import vitest) load only inside a vitest run: this writes a
 * test file that imports them and records their names, and runs it with `fixtures` (the consumer's
 * own test files) under the consumer's vitest — a separate, short vitest process.
 */
export async function probeInsideVitest(
  projectDir: string,
  specifiers: readonly string[],
  fixtures: readonly { name: string; source: string }[],
): Promise<{ results: Map<string, ProbeResult>; report: VitestReport }> {
  const resultsFile = join(projectDir, 'probe-vitest.json');
  await mkdir(join(projectDir, 'tests'), { recursive: true });
  await writeFile(
    join(projectDir, 'vitest.config.mjs'),
    "export default { test: { include: ['tests/**/*.test.mjs'] } };\n",
  );
  await writeFile(
    join(projectDir, 'tests', 'probe-import.test.mjs'),
    `import { writeFileSync } from 'node:fs';
import { it } from 'vitest';

it('imports the subpaths meant for test files', async () => {
  const results = {};
  for (const specifier of ${JSON.stringify(specifiers)}) {
    try {
      results[specifier] = { names: Object.keys(await import(specifier)).sort() };
    } catch (error) {
      results[specifier] = { error: String(error?.stack ?? error) };
    }
  }
  writeFileSync(${JSON.stringify(resultsFile)}, JSON.stringify(results));
});
`,
  );
  for (const fixture of fixtures) await writeFile(join(projectDir, 'tests', fixture.name), fixture.source);
  const reportFile = join(projectDir, 'vitest-report.json');
  const outcome = await runCommand(
    process.execPath,
    [
      join(projectDir, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--root',
      projectDir,
      '--reporter=json',
      `--outputFile=${reportFile}`,
    ],
    { cwd: projectDir, env: childEnv(), timeoutMs: 120_000 },
  );
  let report: VitestReport;
  try {
    report = JSON.parse(await readFile(reportFile, 'utf8')) as VitestReport;
  } catch {
    throw new Error(
      `vitest in the consumer project wrote no report (exit ${outcome.exitCode}):\n${outcome.stdout}\n${outcome.stderr}`,
    );
  }
  let results: Map<string, ProbeResult>;
  try {
    results = new Map(Object.entries(JSON.parse(await readFile(resultsFile, 'utf8')) as Record<string, ProbeResult>));
  } catch {
    results = new Map(
      specifiers.map((specifier) => [specifier, { error: `the probe test did not run:\n${outcome.stdout}` }]),
    );
  }
  return { results, report };
}
