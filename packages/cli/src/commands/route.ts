import { INSTANCE_LIMITS, type RouteRule, SwitchyardError } from '@switchyard/core';
import { ExitCode, UsageError } from '../cli-error.js';
import type { Command, CommandContext } from '../command.js';
import { formatRoute } from '../format/instance.js';
import { terminalSafe } from '../format/table.js';
import { writeJsonLine, writeLine, writeWarning } from '../io.js';
import { describeMalformedRoute, malformedRoute } from '../registry/malformed-route.js';
import { unknownService } from './ls.js';

const USAGE = 'route get <service> | route set <service> <version>=<percent>... | route clear <service>';

/** `switchyard route get|set|clear`: the version-weighted traffic split of a service. */
export const routeCommand: Command = {
  name: 'route',
  summary: 'show, set or clear a service’s version-weighted traffic split (canary)',
  usage: 'get|set|clear <service> [<version>=<percent>...]',
  details: `A route rule makes every discovering client choose a version first, with these weights,
then an instance of that version. Percentages are integers that sum to 100; every version with a
positive share must be run by a live instance. Clients see a change within one push.

Examples:
  switchyard route get catalog
  switchyard route set catalog 1.4.0=95 1.5.0=5
  switchyard route clear catalog

A stored rule the registry cannot read (malformed: clients ignore it and keep the rule they had)
is shown by get as such, raw, and removed by clear, even when the service has no live instance.
clear also replaces a route key that holds the wrong kind of value (every read of the service fails
on it: "cannot read the registry's data"), with a warning naming it.

Exit codes: 0 done; 1 unknown service (get), registry unreachable, or the service's instances kept
changing while the rule was checked (ABORTED: run it again); 2 usage or a rule the registry refuses
(weights not summing to 100, a version no live instance runs, traffic only for versions whose
instances are all draining, unless it rolls back to versions the stored rule routes to…), printed
as one line.`,
  options: {},
  async run(context) {
    const [action, service, ...rest] = context.args.positionals;
    if (!action) throw new UsageError(`missing action (usage: switchyard ${USAGE})`);
    if (!['get', 'set', 'clear'].includes(action)) {
      throw new UsageError(`unknown route action "${action}"; expected get, set or clear`);
    }
    if (!service) throw new UsageError(`missing <service> (usage: switchyard route ${action} <service>…)`);
    if (action !== 'set' && rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    if (action === 'set' && rest.length === 0) {
      throw new UsageError('route set needs at least one <version>=<percent>, e.g. 1.4.0=95 1.5.0=5');
    }
    const rule = action === 'set' ? { splits: parseSplits(rest) } : undefined;
    const { registry, target } = context.registry();
    if (action !== 'set') {
      let current: RouteRule | undefined;
      try {
        current = await registry.getRoute(service);
      } catch (error) {
        // The route key holds the wrong kind of value (a list, say, written by hand): every read of
        // the service fails on it, and the registry's message says to clear the route. The clear
        // writes over it, so `route clear` is the operator's repair, not redis-cli.
        const key = routeKeyOf(target.namespace, service);
        if (action !== 'clear' || !wrongTypeAt(error, key)) throw error;
        await registry.setRoute(service, undefined);
        writeWarning(context.io, 'route', `replaced ${key}, which held no route rule (a key of the wrong type)`);
        return print(context, service, undefined);
      }
      // getRoute() answers "none" for a stored rule it cannot read, while every client keeps the
      // rule it had before: shown as none, and not clearable once the service had no instance.
      const malformed = current ? undefined : await malformedRoute(context, service);
      // A misspelt name must not read as "no route" (get) or "cleared" (clear, while the real
      // canary stays on): a service with neither a route nor an instance is unknown.
      if (!current && malformed === undefined && (await registry.list(service)).length === 0) {
        throw await unknownService(context, service);
      }
      if (action === 'get') return print(context, service, current, malformed);
      // Clearing needs no live instance (the registry checks instances only for a rule it sets).
      await registry.setRoute(service, undefined);
      return print(context, service, undefined);
    }
    await registry.setRoute(service, rule);
    return print(context, service, rule);
  },
};

/** The route rule's key of a service (see the registry's README, "What is in Redis"). */
function routeKeyOf(namespace: string, service: string): string {
  return `${namespace}:{${service}}:route`;
}

/** Whether `error` is the registry's DATA_LOSS for `key` holding the wrong kind of value. */
function wrongTypeAt(error: unknown, key: string): boolean {
  return SwitchyardError.hasCode(error, 'DATA_LOSS') && (error as { key?: unknown }).key === key;
}

/** `1.4.0=95 1.5.0=5` → `{ '1.4.0': 95, '1.5.0': 5 }`; a trailing `%` is allowed. */
export function parseSplits(args: readonly string[]): Record<string, number> {
  const splits: Record<string, number> = {};
  for (const arg of args) {
    const match = /^([^=\s]+)=([^=\s]+?)%?$/.exec(arg);
    if (!match) throw new UsageError(`"${arg}" is not <version>=<percent> (e.g. 1.5.0=5)`);
    const [, version, percent] = match as unknown as [string, string, string];
    // Checked here, before the version becomes a key: `__proto__` set the object's prototype and
    // vanished, and the rule was then refused for a reason that named no version.
    if (!INSTANCE_LIMITS.versionPattern.test(version)) {
      throw new UsageError(`version ${JSON.stringify(version)} ${INSTANCE_LIMITS.versionRule}`);
    }
    if (!/^\d{1,3}$/.test(percent) || Number(percent) > 100) {
      // Something numeric but out of the rule (-5, 95.5, 1000) is told the rule; it used to be
      // only "not <version>=<percent>".
      if (!/^[-+]?\d*\.?\d+$/.test(percent)) {
        throw new UsageError(`"${arg}" is not <version>=<percent> (e.g. 1.5.0=5)`);
      }
      throw new UsageError(`"${arg}": the percent must be an integer from 0 to 100`);
    }
    if (Object.hasOwn(splits, version)) throw new UsageError(`version ${version} is given twice`);
    splits[version] = Number(percent);
  }
  return splits;
}

function print(
  context: CommandContext,
  service: string,
  rule: RouteRule | undefined,
  malformed?: string | undefined,
): ExitCode {
  if (context.json) {
    writeJsonLine(context.io.stdout, {
      service,
      rule: rule ?? null,
      ...(malformed === undefined ? {} : { malformed }),
    });
  } else if (malformed !== undefined) {
    writeLine(context.io.stdout, `route of ${terminalSafe(service)}: ${describeMalformedRoute(service, malformed)}`);
  } else
    writeLine(
      context.io.stdout,
      rule ? `route of ${service}: ${formatRoute(rule)}` : `route of ${service}: none (every version by the balancer)`,
    );
  return ExitCode.OK;
}
