import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './index.js';
import { runCliInProcess } from './test-support/run-cli-in-process.js';

/** Runs the CLI in-process with captured streams; no registry is reachable (or needed). */
const run = (argv: string[], env: Record<string, string> = {}) => runCliInProcess(argv, env);
const protos = fileURLToPath(new URL('../../../protos', import.meta.url));

describe('runCli without a registry', () => {
  it('prints the general help (exit 0 with --help, 2 without a command)', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(ExitCode.OK);
    expect(help.stdout).toMatch(/^switchyard: see and operate/);
    for (const command of ['ls', 'watch', 'health', 'call', 'deregister', 'route', 'dashboard']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    }
    const none = await run([]);
    expect(none.code).toBe(ExitCode.USAGE);
    expect(none.stderr).toContain('Usage: switchyard <command>');
  });

  it('prints a version and per-command help', async () => {
    expect((await run(['--version'])).stdout).toMatch(/^\S+\n$/);
    const help = await run(['help', 'route']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('switchyard route set catalog 1.4.0=95 1.5.0=5');
  });

  it.each([
    [
      ['ls', '--namespace', 'x'],
      /^switchyard ls: no registry: pass --registry redis:\/\/host:6379 or set SWITCHYARD_REGISTRY_URL\n/,
    ],
    [['ls', '--registry', 'memory://'], /an in-memory registry lives inside one process/],
    [
      ['ls', '--registry', 'redis-sentinel://h1:26379'],
      /^switchyard ls: --registry: redis-sentinel:\/\/ needs the master name/,
    ],
    [['ls', 'a', 'b'], /^switchyard ls: unexpected argument "b"/],
    [['watch'], /^switchyard watch: missing <service> \(usage: switchyard watch <service>\)\n/],
    [['call', 'svc', 'pkg.Svc/Get', '{"a":', '--proto', 'x.proto'], /the request body is not valid JSON/],
    [['call', 'svc', 'pkg.Svc/Get', '{}'], /--proto <file> is required/],
    [['call', 'svc', 'no-method', '{}', '--proto', 'x.proto'], /method must look like package.Service\/Method/],
    [['call', 'svc', 'pkg.Svc/Get', '{}', '--proto', 'x.proto', '-H', 'nocolon'], /--header must look like/],
    [
      ['call', 'svc', 'pkg.Svc/Get', '{}', '--proto', 'x.proto', '--deadline-ms', '-5'],
      /--deadline-ms needs a value \(write --deadline-ms=<value> for one starting with "-"\)/,
    ],
    [['route', 'set', 'svc', '1.0.0=abc'], /"1\.0\.0=abc" is not <version>=<percent>/],
    [['route', 'set', 'svc', '1.0.0=50', '1.0.0=50'], /version 1\.0\.0 is given twice/],
    [['route', 'frob', 'svc'], /unknown route action "frob"/],
    [['dashboard', '--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['deregister', 'bad id!', '--yes'], /id: must be/],
    // An empty value would make Node bind every interface: the opposite of the loopback default.
    [['dashboard', '--host='], /--host must not be empty/],
    // A name with a port never matched the Host check (which compares names, on any port): every
    // request under it got 403, and the flag looked taken.
    [
      ['dashboard', '--allow-host', 'ok.internal,dash.internal:7070'],
      /^switchyard dashboard: --allow-host dash\.internal:7070: give the host name without a port \(--allow-host dash\.internal\): it is allowed on any port\n$/,
    ],
    [
      ['dashboard', '--allow-host', 'http://dash.internal'],
      /^switchyard dashboard: --allow-host http:\/\/dash\.internal: /,
    ],
    [['help', 'nosuch'], /^switchyard: unknown command "nosuch"; commands: ls, watch/],
    // A destructive command must not pick one of two targets silently (the last, as parseArgs does).
    [['deregister', 'x-1', '--service', 'orders', '--service', 'search', '--yes'], /--service is given twice/],
    [['call', 'svc', 'pkg.Svc/Get', '--proto=a.proto', '--proto', 'b.proto'], /--proto is given twice/],
    // A flag close to a known one says which was meant.
    [
      ['call', 'svc', 'pkg.Svc/Get', '--proto', 'x.proto', '--deadline', '500'],
      /^switchyard call: unknown option --deadline; did you mean --deadline-ms\? \(see: switchyard call --help\)\n/,
    ],
    [
      ['call', 'svc', 'pkg.Svc/Get', '--proto', 'x.proto', '--deadline=500'],
      /unknown option --deadline; did you mean --deadline-ms\?/,
    ],
    [['call', 'svc', 'pkg.Svc/Get', '--porto', 'x.proto'], /unknown option --porto; did you mean --proto\?/],
    [['ls', '--registy', 'redis://127.0.0.1:1'], /^switchyard ls: unknown option --registy; did you mean --registry\?/],
    [['ls', '--frobnicate'], /^switchyard ls: unknown option --frobnicate \(see: switchyard ls --help\)\n/],
    // A service named without its package: the method argument is wrong, and the message says how.
    [
      ['call', 'svc', 'CatalogService/GetProduct', '--proto', 'shop/catalog/v1/catalog.proto', '-I', protos],
      /^switchyard call: CatalogService\/GetProduct: shop\/catalog\/v1\/catalog\.proto defines no service CatalogService; name it with its package: shop\.catalog\.v1\.CatalogService\n/,
    ],
    [
      ['call', 'svc', 'shop.catalog.v1.Catalog/GetProduct', '--proto', 'shop/catalog/v1/catalog.proto', '-I', protos],
      /^switchyard call: shop\.catalog\.v1\.Catalog\/GetProduct: .* defines no service shop\.catalog\.v1\.Catalog; services: shop\.catalog\.v1\.CatalogService\n/,
    ],
  ])('%j is a usage error (exit 2) in one line', async (argv, message) => {
    // A registry URL in the environment (unreachable: nothing may need it), except where its absence is the point.
    const noRegistry = argv.includes('--registry') || argv.includes('--namespace');
    const result = await run(argv, noRegistry ? {} : { SWITCHYARD_REGISTRY_URL: 'redis://127.0.0.1:1' });
    expect(result.code).toBe(ExitCode.USAGE);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it.each([
    ['x-note: line one\nline two', '"line one\\nline two"'],
    ['x-note: café', '"café"'],
    ['x-note: tab\there', '"tab\\there"'],
  ])(
    'refuses -H %j, a value gRPC metadata cannot carry, naming --header (exit 2, before any registry call)',
    async (header, shown) => {
      // It failed at the call, after the registry lookup, named after the client option it had become:
      // "options.metadata.x-note: must be a string … without CR or LF", "Metadata string value "café"
      // contains illegal characters" (exit 2), or, with the registry unreachable, exit 1 saying only that.
      const argv = ['call', 'echo', 'switchyard.echo.v1.Echo/Say', '{}', '--proto', 'switchyard/echo/v1/echo.proto'];
      const result = await run([...argv, '-I', protos, '-H', header], {
        SWITCHYARD_REGISTRY_URL: 'redis://127.0.0.1:1',
      });
      expect(result.code).toBe(ExitCode.USAGE);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^switchyard call: --header x-note: /);
      expect(result.stderr).toContain(`got ${shown}`);
      expect(result.stderr).toContain('-bin');
    },
  );

  it('escapes control characters in what it prints about a failure, so text cannot drive the terminal', async () => {
    const result = await run(['route', 'set', 'svc', '\u001b]0;pwned\u0007', '\u202e1.0.0=95']);
    expect(result.code).toBe(ExitCode.USAGE);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(result.stderr).toContain('\\u{1b}]0;pwned\\u{7}');
  });
});

describe('SWITCHYARD_DEBUG', () => {
  // A usage error: one line, plus its stack when debugging.
  const stderrLines = async (value: string) =>
    (await run(['watch'], { SWITCHYARD_DEBUG: value })).stderr.trimEnd().split('\n').length;

  it.each(['', '0', 'false', 'no', 'off', 'FALSE', ' Off '])('%j leaves debugging off', async (value) => {
    expect(await stderrLines(value)).toBe(1);
  });

  it.each(['1', 'true', 'yes', 'on', 'TRUE'])('%j turns debugging on (the stack follows)', async (value) => {
    expect(await stderrLines(value)).toBeGreaterThan(1);
  });
});
