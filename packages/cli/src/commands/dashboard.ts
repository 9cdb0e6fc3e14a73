import { integerOption, stringOption } from '../args.js';
import { ExitCode, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { allowedHostProblem } from '../dashboard/dashboard-options.js';
import { DEFAULT_DASHBOARD_OPTIONS, startDashboard } from '../dashboard/dashboard-server.js';
import { warningLogger, writeJsonLine, writeLine } from '../io.js';
import { STOPPED_CLEAN_UP_MS, settleWithin, startUnlessStopped, whenAborted } from '../stop-signal.js';

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

A service that cannot be watched (e.g. a key of the wrong type) is left out with a warning on
stderr, and tried again at every service poll.

Exit codes: 0 stopped by SIGINT/SIGTERM (also while starting); 1 registry unreachable at start; 2 usage
(also: the port is in use or not allowed, e.g. below 1024 without root, or the host cannot be bound).`,
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
      description: 'comma-separated DNS names (no port) it may be reached under, besides loopback and IP addresses',
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
    for (const name of allowedHosts) {
      // Named after the flag, before the registry is opened (the option's check names allowedHosts[i]).
      const problem = allowedHostProblem(name);
      if (problem?.withoutPort !== undefined) {
        throw new UsageError(
          `--allow-host ${name}: give the host name without a port (--allow-host ${problem.withoutPort}): it is allowed on any port`,
        );
      }
      if (problem) throw new UsageError(`--allow-host ${name}: ${problem.rule}`);
    }
    const opened = context.registry();
    const stopped = whenAborted(context.signal);
    const starting = startDashboard({
      registry: opened.registry,
      inspector: opened.inspector(),
      port,
      host,
      allowedHosts,
      title: `${opened.target.label} · namespace ${opened.target.namespace}`,
      logger: warningLogger(context.io, 'dashboard'),
    }).catch((error: NodeJS.ErrnoException) => {
      throw bindFailure(error, port, host);
    });
    const dashboard = await startUnlessStopped(starting, stopped, (late) => late.close());
    if (dashboard === undefined) return ExitCode.OK;
    if (context.json) writeJsonLine(context.io.stdout, { url: dashboard.url, port: dashboard.port });
    else writeLine(context.io.stdout, `switchyard dashboard on ${dashboard.url} (Ctrl-C to stop)`);
    await stopped;
    // Closing its watches and its change subscription waits on the registry: a hung one held the
    // exit for 3 s and more after the Ctrl-C. The HTTP server closes at once; the registry's close
    // finishes the rest.
    await settleWithin(dashboard.close(), STOPPED_CLEAN_UP_MS);
    return ExitCode.OK;
  },
};

/**
 * A failure to bind as the usage error it is (the port or host given: in use, not allowed, not an
 * address of this host); anything else as it is.
 */
export function bindFailure(error: NodeJS.ErrnoException, port: number, host: string): unknown {
  if (error.code === 'EADDRINUSE') return new UsageError(`--port ${port}: address ${host}:${port} is already in use`);
  // Not allowed to bind that port (below 1024 without root, or a security policy): the port given is
  // wrong here, as for one in use (exit 2, the README's table); it was an "unexpected error", exit 1.
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    const why = port > 0 && port < 1024 ? ': a port below 1024 needs root or CAP_NET_BIND_SERVICE' : '';
    return new UsageError(
      `--port ${port}: not allowed to bind ${host}:${port} (${error.code}${why}; --port 0 picks a free one)`,
    );
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return new UsageError(`--host ${host}: cannot bind this address (${error.code})`);
  }
  return error;
}
