import { type ServiceInstance, validateInstanceId } from '@switchyard/core';
import { expectPositionals, stringOption } from '../args.js';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import type { Command, CommandContext } from '../command.js';
import { oneLine } from '../describe-error.js';
import { formatAddress } from '../format/instance.js';
import { terminalSafe } from '../format/table.js';
import { writeJsonLine, writeLine, writeWarning } from '../io.js';
import { ask, isYes } from '../prompt.js';
import { unreadableData } from './ls.js';

/** `switchyard deregister <id> [--service s] [--yes]`. */
export const deregisterCommand: Command = {
  name: 'deregister',
  summary: 'remove an instance from the registry (an operator eviction), after confirmation',
  usage: '<id>',
  details: `Evicts the instance whatever process owns it (RedisRegistry.evict): watchers see it go
"down (deregistered)" at once, and the owning process, told at its next heartbeat, never writes it
back (its registration becomes "lost"). To take an instance out of traffic temporarily, drain it
from its own process instead. Without --service, every live service is searched for the id (one
that cannot be read is named in a warning, and the others are searched).
Asks for confirmation on stderr and reads the answer from stdin unless --yes is given. Only the
registration shown is evicted: one that took the id meanwhile is left alone (exit 1).

Examples:
  switchyard deregister catalog-7f3a9c
  switchyard deregister catalog-7f3a9c --service catalog --yes

Exit codes: 0 removed; 1 no live instance with that id, not confirmed, registry unreachable;
2 usage (also: the id exists in several services and --service is missing).`,
  options: {
    service: { type: 'string', placeholder: 'name', description: 'the service of the instance (default: search)' },
    yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation' },
  },
  async run(context) {
    const [id] = expectPositionals('deregister', context.args, ['id']) as [string];
    validateInstanceId(id);
    const instance = await findInstance(context, id, stringOption(context.args, 'service'));
    const label = `${instance.service}/${instance.id}`;
    // The registration shown is the one evicted: if the id is registered again while the operator
    // reads the prompt (a restarted pod that kept its name), the newcomer is left alone.
    const generation = (await context.registry().inspector()?.leases(instance.service, [instance.id]))?.get(
      instance.id,
    )?.generation;
    if (context.args.values.yes !== true) {
      const answer = await ask(
        context.io,
        terminalSafe(
          `Deregister ${label} (${formatAddress(instance)}, ${instance.status})? Its process will not register it again. [y/N] `,
        ),
      );
      if (!isYes(answer)) {
        throw new CliError(
          answer === undefined
            ? 'not confirmed (stdin ended); pass --yes to skip the prompt'
            : 'not confirmed; nothing changed',
        );
      }
    }
    const redis = context.registry().redis();
    if (!redis) throw new CliError('this registry backend does not support evicting instances');
    let removed: boolean;
    try {
      removed = await redis.evict(instance.service, instance.id, generation === undefined ? {} : { generation });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'FAILED_PRECONDITION') throw error;
      throw new CliError(
        `${label} was registered again since it was shown; nothing changed (run again to evict the new one)`,
      );
    }
    if (!removed) throw new CliError(`${label} was already gone`);
    if (context.json) {
      writeJsonLine(context.io.stdout, { service: instance.service, id: instance.id, deregistered: true });
    } else {
      writeLine(context.io.stdout, terminalSafe(`deregistered ${label}`));
    }
    return ExitCode.OK;
  },
};

async function findInstance(
  context: CommandContext,
  id: string,
  service: string | undefined,
): Promise<ServiceInstance> {
  const { registry } = context.registry();
  if (service !== undefined) {
    const found = (await registry.list(service)).find((instance) => instance.id === id);
    if (!found) throw new CliError(`no live instance "${id}" in service ${service}`);
    return found;
  }
  const services = await registry.services();
  // One service that cannot be read (a key of the wrong type, written by hand or by a foreign tool)
  // failed the whole search, reported as an unreachable registry: an instance of any other service
  // could not be evicted without --service. It is now named in a warning and the others searched;
  // only when none can be read (the registry itself went away) does the search fail on it.
  const settled = await Promise.allSettled(services.map((name) => registry.list(name)));
  // Only bad data sets a service apart (see ls): Redis going away after the service list was read
  // is the command's failure, not a warning per service that blamed each one.
  const failure = settled.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected' && !unreadableData(result.reason),
  );
  if (failure) throw failure.reason;
  const unreadable: string[] = [];
  const lists: ServiceInstance[][] = [];
  settled.forEach((result, index) => {
    if (result.status === 'fulfilled') {
      lists.push(result.value);
      return;
    }
    const name = services[index] as string;
    unreadable.push(name);
    writeWarning(
      context.io,
      'deregister',
      `cannot read service ${name}, searched the others: ${reasonOf(result.reason)}`,
    );
  });
  const firstFailure = settled.find((result) => result.status === 'rejected');
  if (firstFailure && lists.length === 0) throw firstFailure.reason;
  const matches = lists.flat().filter((instance) => instance.id === id);
  if (matches.length === 0) {
    const skipped = unreadable.length === 0 ? '' : `; not searched, unreadable: ${unreadable.join(', ')}`;
    throw new CliError(
      `no live instance "${id}" in any service (${services.length - unreadable.length} searched${skipped})`,
    );
  }
  if (matches.length > 1) {
    throw new UsageError(
      `"${id}" is an instance of several services (${matches.map((match) => match.service).join(', ')}): pass --service`,
    );
  }
  return matches[0] as ServiceInstance;
}

function reasonOf(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}
