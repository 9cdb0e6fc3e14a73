import { withEnv } from '../env.js';

/**
 * The environment the OTLP exporters are configured from, taken once, inside initTracing().
 *
 * The exporters are made after an `import()` that settles later, and OpenTelemetry's own exporter
 * code reads `OTEL_EXPORTER_OTLP_*` from `process.env` as it is then: an application that scrubbed
 * a secret from its environment once set up (an API key in `OTEL_EXPORTER_OTLP_HEADERS`) exported
 * without it. And that code does not trim: `initTracing()` accepted `http://collector:4318 ` (the
 * value trimmed, as the specification reads it), then the exporter found no valid URL in it and
 * sent every span to its default, localhost:4318.
 */
export type OtlpEnvironment = Readonly<Record<string, string>>;

/** The variables taken: the standard exporter ones, and this package's export-thread switch. */
const TAKEN = /^(OTEL_EXPORTER_OTLP_|SWITCHYARD_OTLP_)/;

/** The OTLP variables set now, trimmed; a blank one counts as unset (see readEnv). */
export function takeOtlpEnvironment(environment: NodeJS.ProcessEnv = process.env): OtlpEnvironment {
  const taken: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    const trimmed = value?.trim();
    if (TAKEN.test(name) && trimmed) taken[name] = trimmed;
  }
  return taken;
}

/**
 * The environment for the exporting thread: this process's, with its OTLP variables exactly as
 * taken (none added or kept beside them) and without `NODE_OPTIONS` (see startExportThread).
 */
export function threadEnvironment(otlp: OtlpEnvironment): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!TAKEN.test(name)) env[name] = value;
  delete env.NODE_OPTIONS;
  return { ...env, ...otlp };
}

/**
 * Runs `build` (synchronous: an exporter's constructor, which reads its configuration from
 * `process.env`) with the OTLP variables exactly as taken, none of the live ones beside them.
 */
export function withOtlpEnvironment<T>(otlp: OtlpEnvironment, build: () => T): T {
  const values: Record<string, string | undefined> = {};
  for (const name of Object.keys(process.env)) if (TAKEN.test(name)) values[name] = undefined;
  return withEnv({ ...values, ...otlp }, build);
}
