/**
 * @switchyard/registry's README ("Credentials from the environment"): the credential variables "are
 * read like every other `SWITCHYARD_*` variable: trimmed of leading and trailing whitespace, and blank
 * (empty or only spaces) is unset", and the `switchyard` CLI is named among their readers; the CLI's
 * README gives `--registry` the default `$SWITCHYARD_REGISTRY_URL`. @switchyard/service reads
 * SWITCHYARD_REGISTRY_URL that way; the CLI took the variable as it was.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/index.js';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';

/** Nothing listens on port 1: each run fails "cannot reach the registry" at once, without a Redis. */
const UNREACHABLE = 'redis://127.0.0.1:1';

describe('SWITCHYARD_REGISTRY_URL is read like every other SWITCHYARD_* variable', () => {
  it('is trimmed: a value padded by an env file or a Secret is the same registry as the bare one', async () => {
    const bare = await runCliInProcess(['ls'], { SWITCHYARD_REGISTRY_URL: UNREACHABLE });
    expect(bare.code).toBe(ExitCode.FAILURE);
    expect(bare.stderr).toMatch(/^switchyard ls: cannot reach the registry at redis:\/\/127\.0\.0\.1:1: /);

    for (const padded of [` ${UNREACHABLE}`, `${UNREACHABLE}\n`, `\t${UNREACHABLE} \n`]) {
      const run = await runCliInProcess(['ls'], { SWITCHYARD_REGISTRY_URL: padded });
      // Was exit 2, "--registry: unknown registry scheme " redis://"" (leading space), or a label
      // holding the raw newline (`redis://127.0.0.1:1\u{a}`).
      expect({ padded, code: run.code, stderr: run.stderr }).toEqual({
        padded,
        code: bare.code,
        stderr: bare.stderr,
      });
    }
  });

  it('is unset when blank: the usage error says no registry was given, as for an empty one', async () => {
    const empty = await runCliInProcess(['ls'], { SWITCHYARD_REGISTRY_URL: '' });
    expect(empty.code).toBe(ExitCode.USAGE);
    expect(empty.stderr).toMatch(/^switchyard ls: no registry: pass --registry/);
    // Was: "--registry: must be a registry URL such as redis://127.0.0.1:6379 or memory://, got "   "",
    // naming a flag nobody passed.
    const blank = await runCliInProcess(['ls'], { SWITCHYARD_REGISTRY_URL: '   ' });
    expect({ code: blank.code, stderr: blank.stderr }).toEqual({ code: empty.code, stderr: empty.stderr });
  });

  it('is named as itself when its URL is refused, not as a --registry flag nobody passed', async () => {
    for (const [url, message] of [
      ['http://10.0.0.7:6379', /^switchyard ls: SWITCHYARD_REGISTRY_URL: unknown registry scheme "http:\/\/"/],
      ['redis://10.0.0.7:notaport', /^switchyard ls: SWITCHYARD_REGISTRY_URL: is not a valid redis:\/\/ URL/],
      [
        'memory://',
        /^switchyard ls: SWITCHYARD_REGISTRY_URL memory:\/\/: an in-memory registry lives inside one process/,
      ],
    ] as const) {
      const run = await runCliInProcess(['ls'], { SWITCHYARD_REGISTRY_URL: url });
      // Was "switchyard ls: --registry: unknown registry scheme …": the user looked for a flag
      // they never passed, while the variable that was wrong went unnamed.
      expect({ url, code: run.code }).toEqual({ url, code: ExitCode.USAGE });
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain('--registry');
    }
    // Given as the flag, the flag is named, as before (and wins over the variable).
    const flag = await runCliInProcess(['ls', '--registry', 'http://10.0.0.7:6379'], {
      SWITCHYARD_REGISTRY_URL: UNREACHABLE,
    });
    expect(flag.stderr).toMatch(/^switchyard ls: --registry: unknown registry scheme "http:\/\/"/);
    const memory = await runCliInProcess(['ls', '--registry', 'memory://'], {});
    expect(memory.stderr).toMatch(/^switchyard ls: --registry memory:\/\/: an in-memory registry/);
  });
});
