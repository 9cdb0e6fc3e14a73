import { ATTRIBUTION_SUBJECTS } from '../transport/attribution.js';
/** A subject of `pnpm bench:http` as the parent sees it. */
export interface HttpSubjectSpec {
  id: string;
  label: string;
  kind: 'undici' | 'switchyard';
  /** Its worker exports spans to the parent's OTLP sink. */
  traced?: boolean;
  /** With `traced`: the share of calls traced (initTracing's `sampleRatio`); 1 when unset. */
  sampleRatio?: number;
  /** Raw undici traced by `@opentelemetry/instrumentation-undici` (with `traced`): the alternative users reach for. */
  otelInstrumented?: boolean;
  /** Traced, but its worker drops every span as it ends: what the export pipeline costs, by difference. */
  discardSpans?: boolean;
  /** The Switchyard client with `policy: false` (one attempt, no retry or breaker), for attribution. */
  noPolicy?: boolean;
  /** Raw undici only: each request carries a fresh `traceparent` (see fresh-traceparents.ts), with no tracing. */
  traceparent?: boolean;
  /** Run only when named in `BENCH_ONLY` or `BENCH_EXTRA`. */
  optional?: boolean;
}

/** Every subject, in report order. */
export function httpSubjects(deadlineMs: number): HttpSubjectSpec[] {
  return [
    {
      id: 'undici',
      label:
        "raw undici: one `Pool` to the server with undici's default options (the SDK's default pool), `request()` + `body.json()`",
      kind: 'undici',
    },
    {
      id: 'switchyard',
      label: `createHttpClient (default policy: retry with budget + breaker) via createDiscovery p2c-ewma, \`postJson\`, deadlineMs ${deadlineMs}, tracing off`,
      kind: 'switchyard',
    },
    {
      id: 'switchyard-traced',
      label: 'the same with initTracing (OTLP http/protobuf to a local sink, 100 % sampled, batch processor)',
      kind: 'switchyard',
      traced: true,
    },
    ATTRIBUTION_SUBJECTS.sampled,
    {
      id: 'undici-otel',
      label:
        'raw undici as `undici`, traced by @opentelemetry/instrumentation-undici (one CLIENT span per request, `traceparent` injected), with the same initTracing as `switchyard-traced`',
      kind: 'undici',
      traced: true,
      otelInstrumented: true,
    },
    {
      id: 'undici-traceparent',
      label:
        'raw undici as `undici`, each request carrying a fresh `traceparent` header and no tracing: what propagation alone costs, for attribution',
      kind: 'undici',
      traceparent: true,
      optional: true,
    },
    ATTRIBUTION_SUBJECTS.again,
    ATTRIBUTION_SUBJECTS.unexported,
    {
      id: 'switchyard-no-policy',
      label: 'the same as `switchyard` with `policy: false` (one attempt), for attribution',
      kind: 'switchyard',
      noPolicy: true,
      optional: true,
    },
  ];
}
