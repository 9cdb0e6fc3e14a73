import {
  assertKnownKeys,
  assertNumber,
  assertObject,
  assertOneOf,
  describeValue,
  InvalidArgumentError,
} from '@switchyard/core';
import { readEnv, readEnvList, sdkDisabled } from './env.js';
import { type BundledPropagator, foreignPropagatorRegistered, propagatorsFromEnv } from './propagator.js';

/** Where finished spans go. */
export type TracingExporter = 'otlp' | 'console' | 'memory' | 'none';

/** Options of {@link initTracing}. Every field also has an environment variable (see the README). */
export interface TracingOptions {
  /**
   * The `service.name` resource attribute.
   * @default the `OTEL_SERVICE_NAME` environment variable; required when that is unset
   */
  serviceName?: string;
  /** The `service.version` resource attribute. @default unset */
  serviceVersion?: string;
  /**
   * Where spans go: `otlp` (OTLP over HTTP, protocol from `OTEL_EXPORTER_OTLP_PROTOCOL`), `console`,
   * `memory` (for tests: read them with `getFinishedSpans()`) or `none` (nothing is registered).
   * @default `OTEL_TRACES_EXPORTER` when set (otlp, console or none, or a comma-separated list such
   * as `otlp,console`: spans then go to each); else `otlp` when
   * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; else `none`
   */
  exporter?: TracingExporter;
  /**
   * Share of new traces to record, 0 to 1, with a parent-based sampler: a span whose parent was
   * sampled is always recorded, one whose parent was not is never recorded.
   * @default `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` when set, else 1
   */
  sampleRatio?: number;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. @default {} */
  resourceAttributes?: Record<string, string>;
  /**
   * `true`: a BatchSpanProcessor (spans leave in the background); `false`: one export per span.
   * Applies to every exporter when given.
   * @default true for `otlp`, false for `console` and `memory` (also when listed next to `otlp`)
   */
  batch?: boolean;
}

/** Defaults of {@link TracingOptions} that do not depend on the environment. */
export const DEFAULT_TRACING_OPTIONS = Object.freeze({
  sampleRatio: 1,
  resourceAttributes: Object.freeze({}) as Readonly<Record<string, string>>,
});

/** {@link TracingOptions} after validation and environment lookups: every choice made. */
export interface ResolvedTracingOptions {
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  /** Where spans go: one or more exporters, or `['none']`. */
  readonly exporters: readonly TracingExporter[];
  /** `undefined`: the sampler comes from `OTEL_TRACES_SAMPLER` (see {@link sampler}). */
  readonly sampleRatio: number | undefined;
  /**
   * The sampler `OTEL_TRACES_SAMPLER` names, when no `sampleRatio` was given and tracing is on;
   * read here rather than by the SDK, which took any name it did not know (`ALWAYS_OFF`, a typo)
   * for parentbased_always_on without a word.
   */
  readonly sampler: EnvSampler | undefined;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /**
   * What initTracing's propagator carries, from `OTEL_PROPAGATORS`; `undefined` when tracing is off
   * or someone else's propagator is registered (it stays in charge, and the variable is theirs).
   */
  readonly propagators: readonly BundledPropagator[] | undefined;
  /** For each of {@link exporters}: whether it gets a batch processor (else a simple one). */
  readonly batch: readonly boolean[];
}

/** A sampler of the specification's `OTEL_TRACES_SAMPLER` list that this package builds. */
export interface EnvSampler {
  readonly name: (typeof ENV_SAMPLERS)[number];
  /** traceidratio and parentbased_traceidratio: `OTEL_TRACES_SAMPLER_ARG`, else 1. */
  readonly ratio?: number;
}

const ENV_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
// Known to the specification, but their samplers are not bundled.
const UNBUNDLED_SAMPLERS = ['jaeger_remote', 'parentbased_jaeger_remote', 'xray'];

function isEnvSampler(name: string): name is EnvSampler['name'] {
  return (ENV_SAMPLERS as readonly string[]).includes(name);
}

/**
 * `OTEL_TRACES_SAMPLER` (and `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers), read
 * case-insensitively as the specification reads enum values. An unknown or unbundled name, or an
 * argument that is no number from 0 to 1, is INVALID_ARGUMENT naming the variable: the
 * specification would have them logged and replaced by a default, which meant sampling every trace
 * (parentbased_always_on) or a ratio of 1 without anyone noticing.
 */
function samplerFromEnv(): EnvSampler | undefined {
  const raw = readEnv('OTEL_TRACES_SAMPLER');
  if (raw === undefined) return undefined;
  const name = raw.toLowerCase();
  if (UNBUNDLED_SAMPLERS.includes(name)) {
    throw new InvalidArgumentError(
      'OTEL_TRACES_SAMPLER',
      `${JSON.stringify(raw)} is not bundled: use one of ${ENV_SAMPLERS.join(', ')}, or register your own provider`,
    );
  }
  if (!isEnvSampler(name)) {
    throw new InvalidArgumentError(
      'OTEL_TRACES_SAMPLER',
      `must be one of ${ENV_SAMPLERS.join(', ')} (in any case), got ${JSON.stringify(raw)}`,
    );
  }
  if (!name.endsWith('traceidratio')) return { name };
  const arg = readEnv('OTEL_TRACES_SAMPLER_ARG');
  if (arg === undefined) return { name, ratio: 1 };
  const ratio = Number(arg);
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new InvalidArgumentError(
      'OTEL_TRACES_SAMPLER_ARG',
      `must be a number from 0 to 1 for ${name}, got ${JSON.stringify(arg)}`,
    );
  }
  return { name, ratio };
}

/** The largest whole number the BatchSpanProcessor's settings may take (a Node timer's limit). */
const MAX_BATCH_SETTING = 2_147_483_647;
/** The BatchSpanProcessor's variables (the SDK reads them) and the least each may be. */
const BATCH_VARIABLES = [
  ['OTEL_BSP_SCHEDULE_DELAY', 0],
  ['OTEL_BSP_EXPORT_TIMEOUT', 1],
  ['OTEL_BSP_MAX_QUEUE_SIZE', 1],
  ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1],
] as const;

/**
 * `OTEL_BSP_*`, which the SDK takes as any number and otherwise ignores with a diag warning: a
 * queue size of 0 dropped every span without a word, and a batch size of 0 (or 0.5) made
 * forceFlush() loop over endless empty batches until the process ran out of memory. Checked when a
 * batch processor is used; INVALID_ARGUMENT naming the variable.
 */
function checkBatchVariables(): void {
  for (const [name, min] of BATCH_VARIABLES) {
    const raw = readEnv(name);
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > MAX_BATCH_SETTING) {
      throw new InvalidArgumentError(
        name,
        `must be a whole number from ${min} to ${MAX_BATCH_SETTING}, got ${JSON.stringify(raw)}`,
      );
    }
  }
}

/**
 * The OTLP endpoint in effect (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT`) must be an http(s) URL: the exporter took anything else with a
 * diag warning and sent every span to its default, localhost:4318.
 */
function checkOtlpEndpoint(): void {
  const traces = readEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const name = traces === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  const raw = traces ?? readEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (raw === undefined) return;
  let protocol: string | undefined;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InvalidArgumentError(name, `must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
}

const KNOWN_KEYS = ['serviceName', 'serviceVersion', 'exporter', 'sampleRatio', 'resourceAttributes', 'batch'] as const;
const EXPORTERS: readonly TracingExporter[] = ['otlp', 'console', 'memory', 'none'];
const ENV_EXPORTERS: readonly TracingExporter[] = ['otlp', 'console', 'none'];
// Set through serviceName / serviceVersion so there is one source of truth.
const RESERVED_RESOURCE_KEYS: Readonly<Record<string, string>> = {
  'service.name': 'serviceName',
  'service.version': 'serviceVersion',
};

function assertNonEmptyString(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(field, `must be a non-empty string, got ${describeValue(value)}`);
  }
}

function resolveExporters(option: unknown): readonly TracingExporter[] {
  if (option !== undefined) {
    assertOneOf('tracing.exporter', option, EXPORTERS);
    return [option];
  }
  // The specification's switch for the whole SDK: an operator's off, whatever other variables say.
  // An exporter given in code still applies (code over environment, as for every option).
  if (sdkDisabled()) return ['none'];
  const fromEnv = exportersFromEnv();
  if (fromEnv !== undefined) return fromEnv;
  const endpoint = readEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? readEnv('OTEL_EXPORTER_OTLP_ENDPOINT');
  return endpoint === undefined ? ['none'] : ['otlp'];
}

/** `OTEL_TRACES_EXPORTER`: one exporter or a comma-separated list, as the specification allows. */
function exportersFromEnv(): readonly TracingExporter[] | undefined {
  const names = readEnvList('OTEL_TRACES_EXPORTER');
  for (const name of names ?? []) assertOneOf('OTEL_TRACES_EXPORTER', name, ENV_EXPORTERS);
  return names as readonly TracingExporter[] | undefined;
}

/**
 * Validates a `resourceAttributes` option (internal; initMetrics uses it too, with `prefix` '' and
 * only `service.name` reserved): string values, and none of the keys an option of its own sets, so
 * that `service.name` has one source of truth.
 */
export function resolveResourceAttributes(
  option: unknown,
  prefix = 'tracing.',
  reserved: Readonly<Record<string, string>> = RESERVED_RESOURCE_KEYS,
): Readonly<Record<string, string>> {
  if (option === undefined) return DEFAULT_TRACING_OPTIONS.resourceAttributes;
  assertObject(`${prefix}resourceAttributes`, option);
  const attributes: Record<string, string> = {};
  for (const key of Object.keys(option).sort()) {
    const field = `${prefix}resourceAttributes.${key}`;
    const instead = Object.hasOwn(reserved, key) ? reserved[key] : undefined;
    if (instead !== undefined) {
      throw new InvalidArgumentError(field, `set it with ${prefix}${instead} instead`);
    }
    const value = option[key];
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(field, `must be a string, got ${describeValue(value)}`);
    }
    attributes[key] = value;
  }
  return Object.freeze(attributes);
}

/**
 * Validates {@link TracingOptions} and settles every default, reading the environment now (not at
 * import time). Throws INVALID_ARGUMENT naming the field (`tracing.sampleRatio`, or the environment
 * variable) on the first bad value.
 */
export function resolveTracingOptions(options: TracingOptions = {}): ResolvedTracingOptions {
  assertObject('tracing', options);
  assertKnownKeys('tracing', options, KNOWN_KEYS);

  const serviceName = options.serviceName ?? readEnv('OTEL_SERVICE_NAME') ?? serviceNameFromResourceAttributes();
  if (serviceName === undefined) {
    throw new InvalidArgumentError(
      'tracing.serviceName',
      'is required (or set OTEL_SERVICE_NAME, or service.name in OTEL_RESOURCE_ATTRIBUTES)',
    );
  }
  assertNonEmptyString('tracing.serviceName', serviceName);
  if (options.serviceVersion !== undefined) assertNonEmptyString('tracing.serviceVersion', options.serviceVersion);

  const exporters = resolveExporters(options.exporter);

  let sampleRatio: number | undefined;
  let sampler: EnvSampler | undefined;
  if (options.sampleRatio !== undefined) {
    assertNumber('tracing.sampleRatio', options.sampleRatio, 0, 1);
    sampleRatio = options.sampleRatio;
  } else if (readEnv('OTEL_TRACES_SAMPLER') === undefined) {
    sampleRatio = DEFAULT_TRACING_OPTIONS.sampleRatio;
  } else if (exporters[0] !== 'none') {
    // Like OTEL_PROPAGATORS, it matters (and is checked) only when tracing is on.
    sampler = samplerFromEnv();
  }

  if (options.batch !== undefined && typeof options.batch !== 'boolean') {
    throw new InvalidArgumentError('tracing.batch', `must be a boolean, got ${describeValue(options.batch)}`);
  }
  // The console exporter stays unbatched next to otlp, as the specification advises for it.
  const batch = exporters.map((choice) => (options.batch as boolean | undefined) ?? choice === 'otlp');
  if (exporters[0] !== 'none' && batch.includes(true)) checkBatchVariables();
  if (exporters.includes('otlp')) checkOtlpEndpoint();

  return Object.freeze({
    serviceName,
    serviceVersion: options.serviceVersion,
    exporters,
    sampleRatio,
    sampler,
    resourceAttributes: resolveResourceAttributes(options.resourceAttributes),
    propagators: exporters[0] === 'none' || foreignPropagatorRegistered() ? undefined : propagatorsFromEnv(),
    batch,
  });
}

/**
 * `service.name` from OTEL_RESOURCE_ATTRIBUTES (`key=value` pairs, comma-separated, values
 * %-encoded), which the specification allows in place of OTEL_SERVICE_NAME (internal; initMetrics
 * reads it too).
 */
export function serviceNameFromResourceAttributes(): string | undefined {
  const raw = readEnv('OTEL_RESOURCE_ATTRIBUTES');
  if (raw === undefined) return undefined;
  for (const pair of raw.split(',')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== 'service.name') continue;
    try {
      const value = decodeURIComponent(pair.slice(equals + 1).trim());
      return value === '' ? undefined : value;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
