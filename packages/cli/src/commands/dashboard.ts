import { integerOption, stringOption } from '../args.js';
import { ExitCode, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { DEFAULT_DASHBOARD_OPTIONS, startDashboard } from '../dashboard/dashboard-server.js';
import { writeJsonLine, writeLine } from '../io.js';

/** `switchyard dashboard [--port 7070] [--host 127.0.0.1]`. */
export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'serve a live web dashboard of every service and instance',
  usage: '',
  details: `Serves one self-contained page (no build step) that shows every service and its
instances live, through Server-Sent Events fed by registry watches: status (draining rows stand
out), zone, weight, version, address, age and lease expiry; a service whose view is stale (registry
unreachable) is greyed and marked STALE. Read-only. JSON at /api/services and
/api/services/<name>; the event stream at /events.

Binds 127.0.0.1 by default; --host 0.0.0.0 exposes the registry's contents to your network. It
answers only to loopback names, IP addresses and the names given with --allow-host (a guard
against DNS rebinding), e.g. --host 0.0.0.0 --allow-host dashboard.internal.

Examples:
  switchyard dashboard                 # then open http://127.0.0.1:7070/
  switchyard dashboard --port 0 --json # prints {"url": …} with the port chosen

Exit codes: 0 stopped by SIGINT/SIGTERM; 1 registry unreachable at start; 2 usage (also: the port is in
use, or the host cannot be bound).`,
  options: {
    port: {
      type: 'string',
      placeholder: 'port',
      description: `port to listen on (default ${DEFAULT_DASHBOARD_OPTIONS.port}; 0: any free port)`,
    },
    host: {
      type: 'string',
      placeholder: 'addr',
      description: `address to bind (default ${DEFAULT_DASHBOARD_OPTIONS.host})`,
    },
    'allow-host': {
      type: 'string',
      placeholder: 'names',
      description: 'comma-separated DNS names it may be reached under, besides loopback and IP addresses',
    },
  },
  streaming: true,
  async run(context) {
    if (context.args.positionals.length > 0) {
      throw new UsageError(`unexpected argument ${JSON.stringify(context.args.positionals[0])}`);
    }
    const port = integerOption(context.args, 'port', DEFAULT_DASHBOARD_OPTIONS.port, 0, 65_535);
    const host = stringOption(context.args, 'host') ?? DEFAULT_DASHBOARD_OPTIONS.host;
    // `--host "$UNSET"`: Node binds every interface for an empty host, the opposite of the default.
    if (host.trim() === '') {
      throw new UsageError('--host must not be empty (127.0.0.1 is the default; 0.0.0.0 for every interface)');
    }
    const allowedHosts = (stringOption(context.args, 'allow-host') ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const opened = context.registry();
    const dashboard = await startDashboard({
      registry: opened.registry,
      inspector: opened.inspector(),
      port,
      host,
      allowedHosts,
      title: `${opened.target.label} · namespace ${opened.target.namespace}`,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new UsageError(`--port ${port}: address ${host}:${port} is already in use`);
      if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        throw new UsageError(`--host ${host}: cannot bind this address (${error.code})`);
      }
      throw error;
    });
    if (context.json) writeJsonLine(context.io.stdout, { url: dashboard.url, port: dashboard.port });
    else writeLine(context.io.stdout, `switchyard dashboard on ${dashboard.url} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await dashboard.close();
    return ExitCode.OK;
  },
};
