import { type RouteRule, type ServiceInstance, SwitchyardError } from '@switchyard/core';
import type { Registry } from '@switchyard/registry';
import { expectPositionals } from '../args.js';
import { CliError, ExitCode } from '../cli-error.js';
import type { Command, CommandContext } from '../command.js';
import { oneLine } from '../describe-error.js';
import { formatDuration } from '../format/duration.js';
import { formatAddress, formatRoute, sortInstances } from '../format/instance.js';
import { formatTable } from '../format/table.js';
import { writeJsonLine, writeLine, writeWarning } from '../io.js';
import { withLeases } from '../registry/instance-views.js';
import { describeMalformedRoute, malformedRoute } from '../registry/malformed-route.js';

/** `switchyard ls [service]`. */
export const lsCommand: Command = {
  name: 'ls',
  summary: 'list services with instance counts, or the instances of one service',
  usage: '[service]',
  details: `Without a service: one row per live service (instances, up, draining, versions).
With a service: one row per instance: id, status, zone, weight, version, address, age (since
registration, Redis clock), HEARTBEAT (time since its last heartbeat) and EXPIRES IN (time left on
its lease; a healthy instance heartbeats about three times per TTL, so both keep resetting — a
heartbeat growing past a third of the TTL while expiry runs down to 0 means it stopped).

Examples:
  switchyard ls
  switchyard ls catalog --json | jq '.instances[].id'

A service whose instances have all gone but that still holds a route rule stays listed (0
instances, its rule named below the table; "route" in its --json row): the rule applies again as
soon as an instance comes back; switchyard route clear <service> lets it go.

A service that cannot be read (e.g. a key of the wrong type) is left out and named in a warning on
stderr; --json lists it under "unreadable": [{"service", "error"}].

Exit codes: 0 listed (an empty registry too; also with services left out, as warned); 1 unknown
service (no live instance, no route rule), registry unreachable, no listed service readable; 2 usage.`,
  options: {},
  async run(context) {
    const [service] = expectPositionals('ls', context.args, ['service'], 1);
    return service === undefined ? listServices(context) : listInstances(context, service);
  },
};

/** One row of `switchyard ls` without a service. */
interface ServiceRow {
  service: string;
  instances: number;
  up: number;
  draining: number;
  versions: string[];
  /** Only for a service with no live instance, listed because it holds a route rule (null: malformed). */
  route?: RouteRule | null;
}

/** A listed service whose instances could not be read, and why. */
interface UnreadableService {
  service: string;
  error: string;
}

async function listServices(context: CommandContext): Promise<ExitCode> {
  const { registry, target } = context.registry();
  const names = await registry.services();
  const { rows, unreadable } = await readServiceRows(registry, names);
  for (const { service, error } of unreadable) {
    writeWarning(context.io, 'ls', `cannot read service ${service}, left out: ${error}`);
  }
  // Every listed service holds bad data: say so as the failure too.
  if (rows.length === 0 && unreadable.length > 0) {
    throw new CliError(`no listed service could be read (${unreadable.length}; see the warnings above)`);
  }
  if (context.json) {
    writeJsonLine(context.io.stdout, { namespace: target.namespace, services: rows, unreadable });
    return ExitCode.OK;
  }
  if (rows.length === 0) {
    writeLine(context.io.stdout, `no live services in namespace ${target.namespace} at ${target.label}`);
    return ExitCode.OK;
  }
  const table = formatTable(
    ['service', 'instances', 'up', 'draining', 'versions'],
    rows.map((row) => [
      row.service,
      String(row.instances),
      String(row.up),
      String(row.draining),
      row.versions.join(',') || '-',
    ]),
  );
  writeLine(context.io.stdout, table);
  for (const row of rows) {
    if (row.route === undefined) continue;
    const rule = row.route === null ? 'a malformed one' : formatRoute(row.route);
    writeLine(
      context.io.stdout,
      `${row.service}: no live instance; its route rule (${rule}) applies again when one comes back ` +
        `(switchyard route clear ${row.service} removes it)`,
    );
  }
  return ExitCode.OK;
}

/**
 * Reads every service's instances. One service that cannot be read (a key of the wrong type under
 * its name, written by hand or by a foreign tool) used to fail the whole listing, reported as an
 * unreachable registry: it is now set apart, and the others are listed.
 */
async function readServiceRows(
  registry: Registry,
  names: readonly string[],
): Promise<{ rows: ServiceRow[]; unreadable: UnreadableService[] }> {
  const settled = await Promise.allSettled(names.map((service) => readServiceRow(registry, service)));
  // Only bad data sets a service apart. Anything else (Redis went away after the service list was
  // read) is the command's failure, "cannot reach the registry": it was a warning per service
  // blaming each one, then "no listed service could be read".
  const failure = settled.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected' && !unreadableData(result.reason),
  );
  if (failure) throw failure.reason;
  const rows: ServiceRow[] = [];
  const unreadable: UnreadableService[] = [];
  settled.forEach((result, index) => {
    if (result.status === 'fulfilled') rows.push(result.value);
    else unreadable.push({ service: names[index] as string, error: errorMessage(result.reason) });
  });
  return { rows, unreadable };
}

async function readServiceRow(registry: Registry, service: string): Promise<ServiceRow> {
  const instances = await registry.list(service);
  const row: ServiceRow = {
    service,
    instances: instances.length,
    up: instances.filter((instance) => instance.status === 'up').length,
    draining: instances.filter((instance) => instance.status === 'draining').length,
    versions: [...new Set(instances.map((instance) => instance.version ?? ''))].filter(Boolean).sort(),
  };
  // Listed with no live instance: the registry keeps naming a service that holds a route rule (it
  // applies to the next instances). Said why, or the row read as a dead service listed by mistake.
  if (instances.length === 0) row.route = (await registry.getRoute(service)) ?? null;
  return row;
}

/**
 * Whether a service could not be read for its data (DATA_LOSS: a key of the wrong type under its
 * name), as opposed to the registry failing (unreachable, refusing): only the former is set apart
 * while the other services are still shown.
 */
export function unreadableData(error: unknown): boolean {
  return SwitchyardError.hasCode(error, 'DATA_LOSS');
}

function errorMessage(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}

async function listInstances(context: CommandContext, service: string): Promise<ExitCode> {
  const opened = context.registry();
  const [instances, route] = await Promise.all([opened.registry.list(service), opened.registry.getRoute(service)]);
  // getRoute() reads a malformed stored rule as none, while the clients keep the rule they had:
  // shown as no rule, it hid that a by-hand edit had failed (route get says so; now ls does too).
  const malformed = route === undefined ? await malformedRoute(context, service) : undefined;
  // No instance and no rule: unknown. With a rule the service is known (`ls` lists it), and its rule
  // applies to the next instance that comes: shown below an empty listing.
  if (instances.length === 0 && route === undefined && malformed === undefined) {
    throw await unknownService(context, service);
  }
  const views = sortInstances(await withLeases(opened.inspector(), service, instances));
  if (context.json) {
    const instancesJson = views.map((view) => ({
      ...view,
      ageMs: view.ageMs ?? null,
      expiresInMs: view.expiresInMs ?? null,
      lastHeartbeatAgoMs: view.lastHeartbeatAgoMs ?? null,
    }));
    writeJsonLine(context.io.stdout, {
      service,
      route: route ?? null,
      ...(malformed === undefined ? {} : { malformedRoute: malformed }),
      instances: instancesJson,
    });
    return ExitCode.OK;
  }
  const table = formatTable(
    ['id', 'status', 'zone', 'weight', 'version', 'address', 'age', 'heartbeat', 'expires in'],
    views.map((view) => [
      view.id,
      view.status,
      view.zone ?? '-',
      String(view.weight),
      view.version ?? '-',
      formatAddress(view),
      formatDuration(view.ageMs),
      view.lastHeartbeatAgoMs === undefined ? '-' : `${formatDuration(view.lastHeartbeatAgoMs)} ago`,
      formatDuration(view.expiresInMs),
    ]),
  );
  if (instances.length === 0) writeLine(context.io.stdout, `no live instance of ${service}`);
  else writeLine(context.io.stdout, table);
  if (route) writeLine(context.io.stdout, `route: ${formatRoute(route)}`);
  else if (malformed !== undefined)
    writeLine(context.io.stdout, `route: ${describeMalformedRoute(service, malformed)}`);
  return ExitCode.OK;
}

/** The error for a service with no live instance, naming the ones that exist. */
export async function unknownService(context: CommandContext, service: string): Promise<CliError> {
  const known = await context
    .registry()
    .registry.services()
    .catch(() => [] as string[]);
  const hint = known.length > 0 ? `; live services: ${known.slice(0, 20).join(', ')}` : '; no service is registered';
  return new CliError(`unknown service "${service}": no live instance${hint}`);
}

/** The live instances of a service, or the unknown-service error. */
export async function requireInstances(context: CommandContext, service: string): Promise<ServiceInstance[]> {
  const instances = await context.registry().registry.list(service);
  if (instances.length === 0) throw await unknownService(context, service);
  return instances;
}
