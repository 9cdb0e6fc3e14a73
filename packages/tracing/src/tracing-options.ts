import { validateHeaderName, validateHeaderValue } from 'node:http';
import {
  assertKnownKeys,
  assertNumber,
  assertObject,
  assertOneOf,
  describeValue,
  InvalidArgumentError,
} from '@switchyard/core';
import { rawEnvListEntry, readEnv, readEnvList, sdkDisabled } from './env.js';
import { REDACTED, redactUrl } from './redact-url.js';
import { type BundledPropagator, foreignPropagatorRegistered, propagatorsFromEnv } from './propagator.js';

/** Where finished spans go. */
export type TracingExporter = 'otlp' | 'console' | 'memory' | 'none';

/** Options of {@link initTracing}. Every field also has an environment variable (see the README). */
export interface TracingOptions {
  /**
   * The `service.name` resource attribute.
   * @default the `OTEL_SERVICE_NAME` environment variable, else `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`; required when neither is set
   */
  serviceName?: string;
  /** The `service.version` resource attribute. @default unset */
  serviceVersion?: string;
  /**
   * Where spans go: `otlp` (OTLP over HTTP, protocol from `OTEL_EXPORTER_OTLP_PROTOCOL`), `console`,
   * `memory` (for tests: read them with `getFinishedSpans()`) or `none` (nothing is registered).
   * @default `none` when `OTEL_SDK_DISABLED=true`; else `OTEL_TRACES_EXPORTER` when set (otlp,
   * console or none, or a comma-separated list such as `otlp,console`: spans then go to each); else
   * `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; else `none`
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

/** The largest whole number the BatchSpanProcessor's settings (a Node timer's limit) and the span limits may take. */
const MAX_BATCH_SETTING = 2_147_483_647;
/** The BatchSpanProcessor's variables (the SDK reads them) and the least each may be. */
const BATCH_VARIABLES = [
  ['OTEL_BSP_SCHEDULE_DELAY', 0],
  ['OTEL_BSP_EXPORT_TIMEOUT', 1],
  ['OTEL_BSP_MAX_QUEUE_SIZE', 1],
  ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 1],
] as const;

/**
 * The span limits the SDK reads (its names: OTEL_SPAN_ATTRIBUTE_PER_EVENT/LINK_COUNT_LIMIT stand
 * for the specification's OTEL_EVENT/LINK_ATTRIBUTE_COUNT_LIMIT) and the least each may be: a
 * count may be 0 (none kept), a length must be at least 1.
 */
const LIMIT_VARIABLES = [
  ['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 1],
  ['OTEL_ATTRIBUTE_COUNT_LIMIT', 0],
  ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 1],
  ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 0],
  ['OTEL_SPAN_EVENT_COUNT_LIMIT', 0],
  ['OTEL_SPAN_LINK_COUNT_LIMIT', 0],
  ['OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT', 0],
  ['OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT', 0],
] as const;

/**
 * Each of `variables` that is set must be a whole number from its least to MAX_BATCH_SETTING;
 * INVALID_ARGUMENT naming the variable otherwise.
 */
function checkWholeNumberVariables(variables: readonly (readonly [string, number])[]): void {
  for (const [name, min] of variables) {
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
 * `OTEL_BSP_*`, which the SDK takes as any number and otherwise ignores with a diag warning: a
 * queue size of 0 dropped every span without a word, and a batch size of 0 (or 0.5) made
 * forceFlush() loop over endless empty batches until the process ran out of memory. Checked when a
 * batch processor is used; INVALID_ARGUMENT naming the variable.
 */
function checkBatchVariables(): void {
  checkWholeNumberVariables(BATCH_VARIABLES);
}

/**
 * The span limits (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, …), which
 * the SDK also takes as any number: a count limit of -1 dropped every attribute (or event, or link)
 * of every span without a word, 0.5 kept one, and a value-length limit of 0 or less truncated
 * nothing and logged a diag warning for every attribute of every span. Checked when tracing is on;
 * INVALID_ARGUMENT naming the variable.
 */
function checkLimitVariables(): void {
  checkWholeNumberVariables(LIMIT_VARIABLES);
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
    throw new InvalidArgumentError(
      name,
      `must be an http:// or https:// URL, got ${JSON.stringify(withoutSecrets(raw))}`,
    );
  }
}

/**
 * An endpoint as an error message may show it: user information (`user:password@`, with or without
 * a scheme) as `REDACTED`, and everything after `?` or `#` as `REDACTED`, since a query or
 * fragment may hold an API key. The message ends up in every log that records a failed start.
 */
function withoutSecrets(endpoint: string): string {
  // An '@' after a '/', '?' or '#' of the authority: user information with one of those unescaped
  // (a password holding '/'), which is why the value is refused. Read by the rules below, the
  // authority ended there and the message showed the user and the password (or its part before
  // '?' or '#'). Everything up to the last '@' is hidden instead.
  const authorityStart = endpoint.indexOf('://') < 0 ? 0 : endpoint.indexOf('://') + 3;
  const lastAt = endpoint.lastIndexOf('@');
  if (lastAt > authorityStart && /[/?#]/.test(endpoint.slice(authorityStart, lastAt))) {
    return withoutSecrets(`${endpoint.slice(0, authorityStart)}${REDACTED}${endpoint.slice(lastAt)}`);
  }
  const suffixStart = endpoint.search(/[?#]/);
  let shown = suffixStart < 0 ? endpoint : `${endpoint.slice(0, suffixStart + 1)}${REDACTED}`;
  if (shown.includes('://')) return redactUrl(shown);
  // No scheme (`user:password@host:4318`): the authority runs to the first `/`.
  const authorityEnd = shown.indexOf('/');
  const userInfoEnd = shown.lastIndexOf('@', authorityEnd < 0 ? shown.length : authorityEnd);
  if (userInfoEnd >= 0) shown = `${REDACTED}${shown.slice(userInfoEnd)}`;
  return shown;
}

/** The OTLP header variables the exporter reads (both, merged: the traces one wins per header). */
const HEADER_VARIABLES = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'] as const;

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS`: comma-separated `key=value`
 * entries, percent-encoded. The exporter's parser dropped an entry without `=` (`x-api-key:secret`),
 * with an empty key or value or a `%` that starts no escape, without a word; cut a value at its
 * first `;` (read as W3C baggage properties); and passed on names and values no HTTP request can
 * carry. Every export then went out without its API key (401s) or with half of it, or failed.
 * INVALID_ARGUMENT naming the variable and the header (or the entry's position when it has no
 * name), never the value: it is often a secret, and the message ends up in logs.
 */
function checkOtlpHeaders(): void {
  for (const name of HEADER_VARIABLES) {
    const raw = readEnv(name);
    if (raw === undefined) continue;
    raw.split(',').forEach((entry, index) => {
      if (entry.trim() === '') return; // skipped by the parser too
      const equals = entry.indexOf('=');
      const key = equals < 0 ? '' : entry.slice(0, equals).trim();
      const which = key === '' ? `entry ${index + 1}` : `header ${JSON.stringify(key)}`;
      const refuse = (why: string): never => {
        throw new InvalidArgumentError(name, `${which} ${why} (entries are key=value, percent-encoded)`);
      };
      if (equals < 0) refuse("has no '='");
      if (key === '') refuse('has no name');
      const rawValue = entry.slice(equals + 1).trim();
      if (rawValue === '') refuse('has an empty value');
      if (entry.includes(';')) refuse("has a ';', which would cut its value short: encode it as %3B");
      let decodedKey = '';
      let decodedValue = '';
      try {
        decodedKey = decodeURIComponent(key);
        decodedValue = decodeURIComponent(rawValue);
      } catch {
        refuse('is not percent-encoded correctly (a literal % is %25)');
      }
      try {
        validateHeaderName(decodedKey);
      } catch {
        refuse('is no valid HTTP header name');
      }
      try {
        validateHeaderValue(decodedKey, decodedValue);
      } catch {
        refuse('has a value no HTTP header can carry (a control character, say)');
      }
    });
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
  for (const name of names ?? []) {
    if ((ENV_EXPORTERS as readonly string[]).includes(name)) continue;
    // Quoted as set: the names are read in any case, and "zipkin" for Zipkin named a value not in the deployment.
    throw new InvalidArgumentError(
      'OTEL_TRACES_EXPORTER',
      `must be one of ${ENV_EXPORTERS.join(', ')} (in any case), got ${JSON.stringify(rawEnvListEntry('OTEL_TRACES_EXPORTER', name))}`,
    );
  }
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
  // The resource is built from it when tracing is on (see resourceAttributesFromEnv).
  if (exporters[0] !== 'none') resourceAttributesFromEnv();

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
  if (exporters[0] !== 'none') checkLimitVariables();
  if (exporters.includes('otlp')) {
    checkOtlpEndpoint();
    checkOtlpHeaders();
  }

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

/** The longest key or value OpenTelemetry's env detector takes from OTEL_RESOURCE_ATTRIBUTES. */
const MAX_RESOURCE_ATTRIBUTE_LENGTH = 255;

/**
 * OTEL_RESOURCE_ATTRIBUTES (`key=value` pairs, comma-separated, keys and values %-encoded, `,` and
 * `=` in them necessarily so), read by the rules of OpenTelemetry's env detector, which builds the
 * resource from it; `undefined` when unset (internal; initMetrics reads it too).
 *
 * A value the detector cannot read whole (an entry without `=` or with a second one, an empty key,
 * a `%` that starts no escape, a key or value over 255 characters) is INVALID_ARGUMENT naming the
 * variable and the entry: the detector discarded every attribute of the variable for one bad entry,
 * telling only `diag.debug`, so spans and metrics went out without `deployment.environment` and the
 * rest of it, and nothing said why (service.name, read from it here, was kept meanwhile).
 */
export function resourceAttributesFromEnv(): Readonly<Record<string, string>> | undefined {
  const raw = readEnv('OTEL_RESOURCE_ATTRIBUTES');
  if (raw === undefined) return undefined;
  const attributes: Record<string, string> = {};
  const refuse = (entry: string, why: string): never => {
    throw new InvalidArgumentError(
      'OTEL_RESOURCE_ATTRIBUTES',
      `${JSON.stringify(entry.trim())} ${why}, and OpenTelemetry would drop every attribute of the variable for it`,
    );
  };
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue; // the detector skips empty entries
    const parts = entry.split('=');
    if (parts.length !== 2) {
      refuse(entry, 'is no key=value (a , or = in a key or value must be percent-encoded: %2C, %3D)');
    }
    const [rawKey = '', rawValue = ''] = parts;
    if (rawKey.trim() === '') refuse(entry, 'has an empty key');
    let key = '';
    let value = '';
    try {
      key = decodeURIComponent(rawKey.trim());
      value = decodeURIComponent(rawValue.trim());
    } catch {
      refuse(entry, 'is not percent-encoded correctly (a literal % is %25)');
    }
    if (key.length > MAX_RESOURCE_ATTRIBUTE_LENGTH || value.length > MAX_RESOURCE_ATTRIBUTE_LENGTH) {
      // Named by its key alone: the whole entry would make a message of 256 characters or more.
      refuse(key.slice(0, 64), `has a key or value longer than ${MAX_RESOURCE_ATTRIBUTE_LENGTH} characters`);
    }
    attributes[key] = value;
  }
  return attributes;
}

/**
 * `service.name` from OTEL_RESOURCE_ATTRIBUTES, which the specification allows in place of
 * OTEL_SERVICE_NAME (internal; initMetrics reads it too). INVALID_ARGUMENT naming the variable when
 * it cannot be read whole (see {@link resourceAttributesFromEnv}).
 */
export function serviceNameFromResourceAttributes(): string | undefined {
  const value = resourceAttributesFromEnv()?.['service.name'];
  return value === '' ? undefined : value;
}
