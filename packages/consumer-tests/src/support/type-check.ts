import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { childEnv } from './child-env.js';
import { runCommand } from './run-command.js';

/** The two ways a TypeScript consumer resolves our types: Node's own rules, or a bundler's. */
export type TypeResolution = 'nodenext' | 'bundler';

/** A consumer source file, relative to the project (`ts/grpc.usage.mts`), owned by one package. */
export interface ConsumerTsFile {
  path: string;
  owner: string;
  source: string;
}

// What a user's strict tsconfig looks like, with skipLibCheck off so that broken .d.ts files
// (ours, or what ours pull in) are errors. Only the resolution differs: .mts files are ESM and
// .cts files CommonJS under nodenext (the import / require conditions); bundler reads the ESM ones.
const COMMON_OPTIONS = {
  target: 'es2022',
  strict: true,
  skipLibCheck: false,
  noEmit: true,
  types: ['node'],
};
const TSCONFIGS: Record<TypeResolution, object> = {
  nodenext: {
    compilerOptions: { ...COMMON_OPTIONS, module: 'nodenext', moduleResolution: 'nodenext' },
    include: ['ts/**/*.mts', 'ts/**/*.cts'],
  },
  bundler: {
    compilerOptions: { ...COMMON_OPTIONS, module: 'esnext', moduleResolution: 'bundler' },
    include: ['ts/**/*.mts'],
  },
};

export async function writeConsumerTsFiles(projectDir: string, files: readonly ConsumerTsFile[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(projectDir, file.path)), { recursive: true });
    await writeFile(join(projectDir, file.path), file.source);
  }
}

/** One tsc error: where (relative to the project) and what. */
export interface TscError {
  file: string;
  message: string;
}

/** Runs `tsc --noEmit` over the consumer files under one resolution and returns every error it reports. */
export async function typeCheckConsumer(
  projectDir: string,
  resolution: TypeResolution,
  tscPath: string,
): Promise<TscError[]> {
  const tsconfig = `tsconfig.${resolution}.json`;
  await writeFile(join(projectDir, tsconfig), `${JSON.stringify(TSCONFIGS[resolution], null, 2)}\n`);
  const outcome = await runCommand(process.execPath, [tscPath, '-p', tsconfig, '--pretty', 'false'], {
    cwd: projectDir,
    env: childEnv(),
    timeoutMs: 180_000,
  });
  const errors = parseTscOutput(outcome.stdout);
  if (outcome.exitCode !== 0 && errors.length === 0) {
    throw new Error(
      `tsc -p ${tsconfig} exited with ${outcome.exitCode} and no error it could parse:\n${outcome.stdout}\n${outcome.stderr}`,
    );
  }
  return errors;
}

/** `file(line,col): error TSnnnn: message` lines, with the indented lines that continue a message. */
export function parseTscOutput(output: string): TscError[] {
  const errors: TscError[] = [];
  for (const line of output.split('\n')) {
    const match = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line);
    if (match) errors.push({ file: match[1] as string, message: `${match[1]}:${match[2]}:${match[3]} ${match[4]}` });
    else if (/^\s+\S/.test(line) && errors.length > 0) (errors.at(-1) as TscError).message += `\n${line}`;
    else if (/^error TS\d+/.test(line)) errors.push({ file: '', message: line });
  }
  return errors;
}

/**
 * The package an error belongs to: a consumer file's owner, or the package whose files under
 * node_modules it is in; `undefined` for anything else (a third-party .d.ts, the tsconfig).
 */
export function ownerOfError(error: TscError, files: readonly ConsumerTsFile[]): string | undefined {
  const consumerFile = files.find((file) => file.path === error.file);
  if (consumerFile) return consumerFile.owner;
  return /node_modules\/(@switchyard\/[^/]+)\//.exec(error.file)?.[1];
}
