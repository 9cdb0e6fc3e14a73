import type { ServiceInstance } from '@switchyard/core';
import type { RegistryEvent } from '@switchyard/registry';
import { expectPositionals } from '../args.js';
import { ExitCode } from '../cli-error.js';
import type { Command } from '../command.js';
import { formatAddress, formatRoute, sortInstances } from '../format/instance.js';
import { terminalSafe } from '../format/table.js';
import { writeJsonLine, writeLine } from '../io.js';
import { STOPPED_CLEAN_UP_MS, settleWithin, startUnlessStopped, whenAborted } from '../stop-signal.js';

/** `switchyard watch <service>`. */
export const watchCommand: Command = {
  name: 'watch',
  summary: 'stream a service’s registry events live, one line per event, until Ctrl-C',
  usage: '<service>',
  details: `The first line is a snapshot of the live instances; then one line per event:
  up / update <id> …    an instance appeared / changed (status, weight, version, metadata)
  down <id> (reason)    deregistered (or evicted) / expired (stopped heartbeating)
  route …               the traffic split changed or was cleared
  stale …               the registry is unreachable; the last view is kept until a new snapshot
A service with no instance yet can be watched: its instances appear as they register.

Examples:
  switchyard watch catalog
  switchyard watch catalog --json | jq -c 'select(.type == "down")'

With --json every line is one JSON object (NDJSON): {"time", "service", "type", …the event}.
Exit codes: 0 stopped by SIGINT/SIGTERM (also while starting); 1 registry unreachable at start; 2 usage.`,
  options: {},
  streaming: true,
  async run(context) {
    const [service] = expectPositionals('watch', context.args, ['service']) as [string];
    const { registry } = context.registry();
    const { stdout } = context.io;
    let stopping = false;
    const stopped = Promise.race([
      whenAborted(context.signal),
      // `switchyard watch x | head -1`: the reader went away, stop quietly.
      new Promise<void>((resolve) => stdout.once('error', () => resolve())),
    ]).then(() => {
      stopping = true;
    });
    const print = (event: RegistryEvent): void => {
      if (stopping) return;
      const time = new Date().toISOString();
      if (context.json) writeJsonLine(stdout, eventJson(time, service, event));
      else writeLine(stdout, eventLine(time, event));
    };
    const stop = await startUnlessStopped(registry.watch(service, print), stopped, (stopWatch) => stopWatch());
    if (stop === undefined) return ExitCode.OK;
    await stopped;
    // Unsubscribing waits on the registry: a hung one held the exit for its command timeout (1-2 s)
    // after the Ctrl-C. The listener is off at once; the registry's close finishes the rest.
    await settleWithin(stop(), STOPPED_CLEAN_UP_MS);
    return ExitCode.OK;
  },
};

function eventJson(time: string, service: string, event: RegistryEvent): Record<string, unknown> {
  if (event.type === 'stale') return { time, service, type: 'stale', error: event.error.message };
  if (event.type === 'route') return { time, service, type: 'route', rule: event.rule ?? null };
  if (event.type === 'snapshot') {
    return { time, service, type: 'snapshot', instances: sortInstances(event.instances), route: event.route ?? null };
  }
  return { time, service, ...event };
}

/** One human line: `<time>  <type>  <details>`. */
export function eventLine(time: string, event: RegistryEvent): string {
  return terminalSafe(`${time}  ${event.type.padEnd(8)}  ${eventDetails(event)}`);
}

function eventDetails(event: RegistryEvent): string {
  switch (event.type) {
    case 'snapshot': {
      const instances = sortInstances(event.instances);
      const list = instances.map((instance) => `${instance.id} (${instance.status})`).join(', ');
      const count = `${instances.length} instance${instances.length === 1 ? '' : 's'}`;
      const route = event.route ? `; route ${formatRoute(event.route)}` : '';
      return `${count}${list ? `: ${list}` : ''}${route}`;
    }
    case 'up':
    case 'update':
      return describeInstance(event.instance);
    case 'down':
      return `${event.id} (${event.reason})`;
    case 'route':
      return event.rule ? formatRoute(event.rule) : 'cleared';
    case 'stale':
      return `registry unreachable, keeping the last view: ${event.error.message}`;
  }
}

function describeInstance(instance: ServiceInstance): string {
  const parts = [instance.id, instance.status, formatAddress(instance), `weight=${instance.weight}`];
  if (instance.version) parts.push(`version=${instance.version}`);
  if (instance.zone) parts.push(`zone=${instance.zone}`);
  return parts.join(' ');
}
