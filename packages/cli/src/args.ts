import { parseArgs } from 'node:util';
import { redactUrl } from '@switchyard/registry';
import { UsageError } from './cli-error.js';

/** One flag of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The flag may repeat (`-I a -I b`); its value is then an array. */
  readonly multiple?: boolean;
  /** Placeholder shown in help for a string flag, e.g. `url`. */
  readonly placeholder?: string;
  readonly description: string;
}

/** The flags of a command, by long name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** Flags every command accepts. */
export const GLOBAL_OPTIONS: OptionSpecs = Object.freeze({
  registry: {
    type: 'string',
    placeholder: 'url',
    description: 'registry URL, e.g. redis://127.0.0.1:6379 (default: $SWITCHYARD_REGISTRY_URL)',
  },
  namespace: { type: 'string', placeholder: 'ns', description: 'registry key namespace (default: switchyard)' },
  json: { type: 'boolean', description: 'machine-readable output: JSON (NDJSON for streams)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
});

/**
 * The command name: the first positional argument, found with every known flag declared so that a
 * flag's value (`--registry redis://… ls`) is not mistaken for it. Returns its index in `argv`.
 */
export function findCommand(
  argv: readonly string[],
  allOptions: OptionSpecs,
): { name: string; index: number } | undefined {
  const { tokens } = parseArgs({
    args: [...argv],
    options: toNodeOptions(allOptions),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens.find((token) => token.kind === 'positional');
  return first?.kind === 'positional' ? { name: first.value, index: first.index } : undefined;
}

/**
 * Parses a command's arguments strictly: unknown flags, missing values and a one-value flag given
 * twice with different values are usage errors.
 */
export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpecs): ParsedArgs {
  let parsed: ReturnType<typeof parseStrict>;
  try {
    parsed = parseStrict(argv, options);
  } catch (error) {
    throw new UsageError(`${describeParseError(error, options, argv)} (see: switchyard ${command} --help)`);
  }
  // parseArgs keeps the last of a repeated flag: `deregister x --service a --service b` would act
  // on b without a word. Refuse the contradiction instead of guessing which one was meant.
  const seen = new Map<string, string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || token.value === undefined || options[token.name]?.multiple) continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined && earlier !== token.value) {
      throw new UsageError(
        `${describeRepeatedFlag(token.name, earlier, token.value)} (see: switchyard ${command} --help)`,
      );
    }
    seen.set(token.name, token.value);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/**
 * Says that a one-value flag got two values, quoting both with any URL password masked: a
 * `--registry` given twice printed both URLs, passwords included. Masking can make the two look
 * alike (URLs differing only in their passwords): the message then says they differ where masked.
 */
function describeRepeatedFlag(name: string, earlier: string, later: string): string {
  const [first, second] = [quoteArgument(earlier), quoteArgument(later)];
  const values = first === second ? `${first} twice, differing where masked` : `${first}, ${second}`;
  return `--${name} is given twice (${values}); it takes one value`;
}

/** Where a URL starts in an argument: `redis://…`, `--registry=rediss://…`, `redis-sentinel://…`. */
const URL_IN_ARGUMENT = /[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** An argument quoted for a message (JSON string syntax), a URL with its password masked. */
function quoteArgument(value: string): string {
  return JSON.stringify(URL_IN_ARGUMENT.test(value) ? redactUrl(value) : value);
}

/**
 * `message` with every URL of the command line that holds a password shown masked, wherever the
 * message quotes it (as is, or JSON-escaped). A registry URL given where it does not belong
 * (`switchyard ls redis://:pw@host` takes it as a service name) is echoed by whichever check
 * refuses it, the service-name rule of @switchyard/core included: masking the known arguments in
 * the one line printed covers them all.
 */
export function maskUrlArguments(message: string, argv: readonly string[]): string {
  let masked = message;
  for (const argument of argv) {
    const start = argument.search(URL_IN_ARGUMENT);
    if (start < 0) continue;
    const url = argument.slice(start);
    const redacted = redactUrl(url);
    if (redacted === url) continue;
    // Replacer functions: a replacement string would give `$&` and the like in a URL their meaning.
    masked = masked.replaceAll(url, () => redacted).replaceAll(jsonEscaped(url), () => jsonEscaped(redacted));
  }
  return masked;
}

/** The text as it appears inside a JSON string. */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function parseStrict(argv: readonly string[], options: OptionSpecs) {
  return parseArgs({
    args: [...argv],
    options: toNodeOptions(options),
    strict: true,
    allowPositionals: true,
    tokens: true,
  });
}

/** A string flag's value, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string flag's values. */
export function stringsOption(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}

/** An integer flag within bounds, or the default. @throws UsageError naming the flag. */
export function integerOption(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Exactly `count` positional arguments (named for the message), else a usage error. */
export function expectPositionals(command: string, args: ParsedArgs, names: readonly string[], optional = 0): string[] {
  const { positionals } = args;
  const required = names.length - optional;
  if (positionals.length < required) {
    throw new UsageError(
      `missing <${names[positionals.length]}> (usage: switchyard ${command} ${usageOf(names, optional)})`,
    );
  }
  if (positionals.length > names.length) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[names.length])} (usage: switchyard ${command} ${usageOf(names, optional)})`,
    );
  }
  return [...positionals];
}

function usageOf(names: readonly string[], optional: number): string {
  return names.map((name, index) => (index >= names.length - optional ? `[${name}]` : `<${name}>`)).join(' ');
}

function toNodeOptions(options: OptionSpecs) {
  const result: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(options)) {
    result[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  return result;
}

/**
 * Node's parseArgs messages, made short: "unknown option --foo", "--registry needs a value"; an
 * unknown long flag close to a known one says which (`--deadline`: did you mean --deadline-ms?).
 */
function describeParseError(error: unknown, options: OptionSpecs, argv: readonly string[]): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const flag = flagName(quoted);
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const meant = flag.startsWith('--') ? closestOption(flag.slice(2), Object.keys(options)) : undefined;
      return `unknown option ${flag}${shortGroupOf(flag, argv)}${meant === undefined ? '' : `; did you mean --${meant}?`}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('argument missing')) return `${flag} needs a value`;
      if (message.includes('ambiguous')) {
        // `-I=-x` is not how a short flag takes a value: name the long form, as Node does.
        const long = /^-[^-]$/.test(flag)
          ? Object.entries(options).find(([, spec]) => spec.short === flag.slice(1))?.[0]
          : undefined;
        const written = long === undefined ? flag : `--${long}`;
        return `${flag} needs a value (write ${written}=<value> for one starting with "-")`;
      }
      if (message.includes('does not take an argument')) return `${flag} takes no value`;
      return (message.split('. ')[0] ?? message).replace(/^./, (first) => first.toLowerCase());
    default:
      return (message.split('. ')[0] ?? message).replace(/^./, (first) => first.toLowerCase());
  }
}

/**
 * The flag Node quotes, as one name: `'-I, --import-path <value>'` is `--import-path (-I)`. Taking
 * the first word gave `-I,`, so a flag with a short form read "-I, needs a value" or "-y, takes no
 * value".
 */
function flagName(quoted: string): string {
  const forms = quoted
    .replace(/ <[^>]*>$/, '')
    .split(', ')
    .filter((form) => form !== '');
  const long = forms.find((form) => form.startsWith('--'));
  const short = forms.find((form) => !form.startsWith('--'));
  if (long !== undefined && short !== undefined) return `${long} (${short})`;
  return long ?? short ?? quoted;
}

/**
 * ` in -y=1` when an unknown short flag came from a group of short flags: Node reads `-y=1` as
 * `-y -= -1` and names only `-=`, which the user never typed.
 */
function shortGroupOf(flag: string, argv: readonly string[]): string {
  if (!/^-[^-]$/.test(flag)) return '';
  const group = argv.find((arg) => /^-[^-]/.test(arg) && arg !== flag && arg.includes(flag.slice(1)));
  return group === undefined ? '' : ` in ${JSON.stringify(group)}`;
}

/**
 * The known flag an unknown one most likely meant, if any one stands out: the flag it is the start
 * of or extends (`deadline` → `deadline-ms`, `headers` → `header`), else the one a typo or two away
 * (`porto` → `proto`). Undefined when none is close or two are equally so.
 */
function closestOption(given: string, known: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  if (lower.length >= 3) {
    const extended = known.filter((name) => name.startsWith(lower) || lower.startsWith(name));
    if (extended.length === 1) return extended[0];
    if (extended.length > 1) return undefined;
  }
  const limit = Math.min(2, Math.floor(lower.length / 3));
  const near = known
    .map((name) => ({ name, distance: editDistance(lower, name) }))
    .filter(({ distance }) => distance <= limit);
  const nearest = Math.min(...near.map(({ distance }) => distance));
  const closest = near.filter(({ distance }) => distance === nearest);
  return closest.length === 1 ? closest[0]!.name : undefined;
}

/** Levenshtein distance, an adjacent swap counting as one edit (`porxy` → `proxy`). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
      }
    }
  }
  return rows[a.length]![b.length]!;
}
