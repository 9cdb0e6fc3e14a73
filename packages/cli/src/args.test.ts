import { describe, expect, it } from 'vitest';
import { ExitCode } from './index.js';
import { runCliInProcess } from './test-support/run-cli-in-process.js';

/** An unreachable registry in the environment: none of these may get as far as needing it. */
const run = (argv: string[]) => runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: 'redis://127.0.0.1:1' });

describe('usage errors name the flag as the user can act on it', () => {
  it.each([
    // Node quotes '-I, --import-path <value>': the first word made "-I, needs a value".
    [
      ['call', 'svc', 'pkg.Svc/Get', '--proto', 'x.proto', '-I'],
      /^switchyard call: --import-path \(-I\) needs a value /,
    ],
    [['deregister', 'x-1', '--yes=no'], /^switchyard deregister: --yes \(-y\) takes no value /],
    // `-I=-x` is no way to give a short flag a value; the long form is.
    [
      ['call', 'svc', 'pkg.Svc/Get', '--proto', 'x.proto', '-I', '-x'],
      /^switchyard call: -I needs a value \(write --import-path=<value> for one starting with "-"\)/,
    ],
    // Node reads -y=1 as -y -= -1 and names only "-=", which was never typed.
    [['deregister', 'x-1', '-y=1'], /^switchyard deregister: unknown option -= in "-y=1" /],
    // An empty value from an unset shell variable: refused, not a port named "" on every instance
    // (all NO_PORT, exit 1: the fleet reported unhealthy).
    [['health', 'svc', '--port', ''], /^switchyard health: --port must name a port of the instances/],
    // It said "no registry: … or set SWITCHYARD_REGISTRY_URL", which was set.
    [['ls', '--registry='], /^switchyard ls: --registry is empty: give a URL such as redis:\/\/host:6379/],
  ])('%j', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(ExitCode.USAGE);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
