import { type RouteRule, SwitchyardError } from '@switchyard/core';
import type { CanaryRecord, Registry } from '@switchyard/registry';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import type { Command, CommandContext } from '../command.js';
import { oneLine } from '../describe-error.js';
import { formatDuration } from '../format/duration.js';
import { formatRoute } from '../format/instance.js';
import { terminalSafe } from '../format/table.js';
import { writeJsonLine, writeLine } from '../io.js';
import { unknownService } from './ls.js';

const USAGE = 'canary get <service> | canary clear <service> [--force]';

/** How much of a malformed stored record is shown. */
const MALFORMED_SHOWN = 200;

/** A service name as the registry takes one (checked again there): only to hint at `canary get <name>`. */
const LOOKS_LIKE_SERVICE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `switchyard canary get|clear <service>`: the service's canary record, where its canary release
 * stands (kept in the registry by the canary controller of @switchyard/discovery), and its removal
 * so that a new release can start.
 */
export const canaryCommand: Command = {
  name: 'canary',
  summary: 'show or clear a service’s canary record (where its canary release stands)',
  usage: 'get|clear <service> [--force]',
  details: `The canary controller (createCanaryController in @switchyard/discovery) keeps the state of a
service's release in the registry: the canary and stable versions, the canary's share, the state
(running, rolled-back, complete), the reason of the last change, the controller that holds it
(owner) and how long its hold still runs, when it was last written and its revision. A controller
started again resumes a running release, refuses to start a canary recorded as rolled back (unless
retry: true) and refuses while another controller's hold runs.

get shows the record and the service's route. clear deletes the record, so that the next release
starts afresh; it refuses (exit 2) while the owner's hold runs, which means a controller is at work:
stop it, wait for its hold to run out, or pass --force (that controller then stops at its next
write, within a third of its hold, and leaves the route as it is). clear never changes the route:
set or clear it with switchyard route. A stored record the registry cannot read (written by hand or
by a foreign tool; every controller start is refused while it is there) is shown by get as such,
raw, and removed by clear.

Examples:
  switchyard canary get catalog
  switchyard canary clear catalog
  switchyard canary clear catalog --force --json

Exit codes: 0 shown, or removed (also: there was none to remove); 1 unknown service (no record, no
live instance, no route), registry unreachable, the record changed while it was being cleared (run
again); 2 usage, or clear while the owner's hold runs without --force.`,
  options: {
    force: {
      type: 'boolean',
      description: 'clear: remove the record even while its owner’s hold runs (that controller then stops)',
    },
  },
  async run(context) {
    const [action, service, ...rest] = context.args.positionals;
    if (!action) throw new UsageError(`missing action (usage: switchyard ${USAGE})`);
    if (action !== 'get' && action !== 'clear') {
      // `switchyard canary catalog` is the natural first try: say what to write instead.
      const hint = service === undefined && LOOKS_LIKE_SERVICE.test(action) ? ` (switchyard canary get ${action})` : '';
      throw new UsageError(`unknown canary action ${JSON.stringify(action)}; expected get or clear${hint}`);
    }
    if (!service) throw new UsageError(`missing <service> (usage: switchyard canary ${action} <service>)`);
    if (rest.length > 0) {
      throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])} (usage: switchyard ${USAGE})`);
    }
    const force = context.args.values.force === true;
    if (force && action === 'get') throw new UsageError('--force is for clear (see: switchyard canary --help)');
    const { registry } = context.registry();
    if (typeof registry.getCanary !== 'function' || typeof registry.setCanary !== 'function') {
      throw new CliError('this registry keeps no canary records (getCanary / setCanary)');
    }
    const stored = await readStored(context, registry, service);
    return action === 'get'
      ? show(context, registry, service, stored)
      : clear(context, registry, service, stored, force);
  },
};

/** The record as the registry reads it, or the raw text of one it cannot read, or neither. */
type Stored =
  | { readonly record: CanaryRecord; readonly malformed?: undefined }
  | { readonly record?: undefined; readonly malformed: string }
  | { readonly record?: undefined; readonly malformed?: undefined };

/**
 * Reads the record. getCanary() answers undefined for a stored record it cannot read (with a
 * warning), while every controller's claim of the service is refused on it: the raw text is read
 * through the LeaseInspector so that it can be shown and removed.
 */
async function readStored(context: CommandContext, registry: Registry, service: string): Promise<Stored> {
  const record = await registry.getCanary?.(service);
  if (record !== undefined) return { record };
  const raw = await context
    .registry()
    .inspector()
    ?.storedCanary(service)
    .catch(() => undefined);
  if (raw === undefined) return {};
  // Written between the two reads: a valid record is what it is now, not a malformed one.
  const again = await registry.getCanary?.(service);
  return again === undefined ? { malformed: raw } : { record: again };
}

/** A service with no record, no live instance and no route is a misspelt name, not "none". */
async function requireKnown(
  context: CommandContext,
  registry: Registry,
  service: string,
  route: RouteRule | undefined,
): Promise<void> {
  if (route === undefined && (await registry.list(service)).length === 0) throw await unknownService(context, service);
}

async function show(context: CommandContext, registry: Registry, service: string, stored: Stored): Promise<ExitCode> {
  const route = await registry.getRoute(service);
  if (stored.record === undefined && stored.malformed === undefined)
    await requireKnown(context, registry, service, route);
  if (context.json) {
    writeJsonLine(context.io.stdout, {
      service,
      record: stored.record ?? null,
      ...(stored.malformed === undefined ? {} : { malformed: stored.malformed }),
      route: route ?? null,
    });
    return ExitCode.OK;
  }
  const { stdout } = context.io;
  if (stored.record !== undefined) {
    const { record } = stored;
    writeLine(stdout, `canary of ${service}: ${describeRecord(record)}`);
    writeLine(stdout, terminalSafe(`owner:    ${record.owner} (${describeHold(record)})`));
    writeLine(stdout, terminalSafe(`reason:   ${record.reason === '' ? 'none' : record.reason}`));
    writeLine(stdout, `updated:  ${new Date(record.updatedAt).toISOString()} (revision ${record.revision})`);
    writeLine(stdout, `route:    ${formatRoute(route)}`);
  } else if (stored.malformed !== undefined) {
    writeLine(
      stdout,
      terminalSafe(
        `canary of ${service}: malformed: ${shorten(stored.malformed)} (every controller start is refused while it ` +
          `is there; switchyard canary clear ${service} removes it)`,
      ),
    );
    writeLine(stdout, `route:    ${formatRoute(route)}`);
  } else {
    writeLine(stdout, `canary of ${service}: none (no release recorded)`);
  }
  return ExitCode.OK;
}

async function clear(
  context: CommandContext,
  registry: Registry,
  service: string,
  stored: Stored,
  force: boolean,
): Promise<ExitCode> {
  const { record, malformed } = stored;
  if (record === undefined && malformed === undefined) {
    const route = await registry.getRoute(service);
    await requireKnown(context, registry, service, route);
    if (context.json) writeJsonLine(context.io.stdout, { service, removed: null, route: route ?? null });
    else writeLine(context.io.stdout, `canary of ${service}: none (nothing to clear)`);
    return ExitCode.OK;
  }
  if (record !== undefined && record.ownerLeaseMs > 0 && !force) {
    // A hold that still runs is a controller at work (it renews its hold every third of it):
    // deleting its record under it stops it at its next write, mid-release.
    throw new UsageError(
      terminalSafe(
        `${service}'s canary record is held by ${record.owner} for ${formatDuration(record.ownerLeaseMs)} more ` +
          `(${describeRecord(record)}); nothing removed: stop that controller, wait for its hold to run out, ` +
          'or pass --force',
      ),
    );
  }
  const removed = await removeRecord(registry, service, record, force);
  await printRemoved(context, registry, service, removed, malformed);
  return ExitCode.OK;
}

/** Tries of a forced removal that found the record renewed by its owner meanwhile. */
const FORCED_TRIES = 5;

/**
 * Removes the record shown (a malformed one, which has no revision to name, as it is), and
 * resolves with what was removed. Only the record shown is removed: one written since (another
 * controller's claim, a step) is left alone, FAILED_PRECONDITION then (exit 1). With --force, the
 * holder's renewals (every third of its hold) would make that fail now and then: a record that is
 * still the same release of the same owner is removed at its new revision.
 */
async function removeRecord(
  registry: Registry,
  service: string,
  shown: CanaryRecord | undefined,
  force: boolean,
): Promise<CanaryRecord | undefined> {
  let record = shown;
  for (let tries = 1; ; tries++) {
    try {
      await registry.setCanary?.(service, undefined, record === undefined ? undefined : { expected: record.revision });
      return record;
    } catch (error) {
      if (!SwitchyardError.hasCode(error, 'FAILED_PRECONDITION')) throw error;
      const now = force && tries < FORCED_TRIES ? await registry.getCanary?.(service) : undefined;
      if (now === undefined || record === undefined || !sameRelease(now, record)) {
        throw new CliError(
          `${oneLine((error as Error).message)} (switchyard canary get ${service} shows it; clear again to remove it)`,
        );
      }
      record = now;
    }
  }
}

/** Whether two reads of the record are the same release held by the same owner (a renewal apart). */
function sameRelease(a: CanaryRecord, b: CanaryRecord): boolean {
  return a.canary === b.canary && a.stable === b.stable && a.owner === b.owner && a.state === b.state;
}

async function printRemoved(
  context: CommandContext,
  registry: Registry,
  service: string,
  record: CanaryRecord | undefined,
  malformed: string | undefined,
): Promise<void> {
  // The route is what users see: say it stays. Read after the delete, best effort: a route that
  // cannot be read must not turn a done removal into a failure.
  const route = await registry.getRoute(service).catch(() => undefined);
  if (context.json) {
    writeJsonLine(context.io.stdout, {
      service,
      removed: record ?? null,
      ...(malformed === undefined ? {} : { malformed }),
      route: route ?? null,
    });
    return;
  }
  const { stdout } = context.io;
  if (record !== undefined) {
    writeLine(
      stdout,
      terminalSafe(
        `removed the canary record of ${service}: ${describeRecord(record)} (owner ${record.owner}, revision ${record.revision})`,
      ),
    );
  } else {
    writeLine(stdout, terminalSafe(`removed the malformed canary record of ${service}: ${shorten(malformed ?? '')}`));
  }
  if (route !== undefined) {
    writeLine(
      stdout,
      `the route is left as it is: ${formatRoute(route)} (switchyard route set|clear ${service} changes it)`,
    );
  }
}

/** `1.5.0 against 1.4.0, running at 25%`. */
function describeRecord(record: CanaryRecord): string {
  return `${record.canary} against ${record.stable}, ${record.state} at ${record.percent}%`;
}

/** `holds it 24s more`, or that nobody holds it. */
function describeHold(record: CanaryRecord): string {
  return record.ownerLeaseMs > 0
    ? `holds it ${formatDuration(record.ownerLeaseMs)} more`
    : 'no hold: released or run out';
}

function shorten(text: string): string {
  return text.length > MALFORMED_SHOWN ? `${text.slice(0, MALFORMED_SHOWN)}…` : text;
}
