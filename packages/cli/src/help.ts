import { GLOBAL_OPTIONS, type OptionSpecs } from './args.js';
import type { Command } from './command.js';

/** `switchyard --help`. */
export function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `switchyard: see and operate the services in a Switchyard registry

Usage: switchyard <command> [arguments] [--registry url] [--namespace ns] [--json]

Commands:
${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Global options:
${formatOptions(GLOBAL_OPTIONS)}
  -V, --version        print the version

The registry is --registry, else $SWITCHYARD_REGISTRY_URL (redis://, rediss://, redis-sentinel://,
redis-cluster://); a URL without a password takes $SWITCHYARD_REGISTRY_PASSWORD (and
$SWITCHYARD_REGISTRY_USERNAME). Output is a table for people, or JSON with --json. Errors are one line on stderr.
Exit codes: 0 ok; 1 failure (unreachable registry, unknown service, failed call, unhealthy);
2 usage error (bad flag or argument, malformed JSON). Run 'switchyard <command> --help' for more.
`;
}

/** `switchyard <command> --help`. */
export function commandHelp(command: Command): string {
  return `switchyard ${command.name}: ${command.summary}

Usage: switchyard ${command.name}${command.usage ? ` ${command.usage}` : ''} [options]

${command.details}
${Object.keys(command.options).length > 0 ? `\nOptions:\n${formatOptions(command.options)}\n` : ''}
Global options:
${formatOptions(GLOBAL_OPTIONS)}
`;
}

function formatOptions(options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` <${spec.placeholder ?? 'value'}>` : ''}`;
    return [flag, spec.description + (spec.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(19, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`).join('\n');
}
