import { readEnv } from './env.js';

/**
 * Which generation of semantic-convention attribute names to emit for one signal family:
 * `old` only, `stable` only, or `dup` (both, for a phased migration).
 */
export type SemconvMode = 'old' | 'stable' | 'dup';

/** The attribute generations chosen for RPC (gRPC) spans and for HTTP spans. */
export interface SemconvStability {
  /** For gRPC spans: `old` unless `OTEL_SEMCONV_STABILITY_OPT_IN` lists `rpc` (`stable`) or `rpc/dup` (`dup`). */
  readonly rpc: SemconvMode;
  /** For HTTP spans: `stable` unless `OTEL_SEMCONV_STABILITY_OPT_IN` lists `http/dup` (`dup`). */
  readonly http: SemconvMode;
}

let cached: SemconvStability | undefined;

/**
 * Parses `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list, per the OpenTelemetry migration
 * guides): `rpc` → stable RPC names only, `rpc/dup` → old and stable; `http` → stable HTTP names,
 * `http/dup` → stable and old. `…/dup` wins when both are listed. Without a value, RPC spans use the
 * old (v1.37) names, as @opentelemetry/instrumentation-grpc does, and HTTP spans the stable names.
 */
export function parseSemconvStability(value: string | undefined): SemconvStability {
  const entries = new Set((value ?? '').split(',').map((entry) => entry.trim().toLowerCase()));
  const pick = (family: string, fallback: SemconvMode): SemconvMode => {
    if (entries.has(`${family}/dup`)) return 'dup';
    if (entries.has(family)) return 'stable';
    return fallback;
  };
  return Object.freeze({ rpc: pick('rpc', 'old'), http: pick('http', 'stable') });
}

/**
 * The semantic-convention choice in force. `OTEL_SEMCONV_STABILITY_OPT_IN` is read lazily, when
 * the first span needs it, and again after every {@link initTracing} or `shutdown()`.
 */
export function semconvStability(): SemconvStability {
  cached ??= parseSemconvStability(readEnv('OTEL_SEMCONV_STABILITY_OPT_IN'));
  return cached;
}

/** Forgets the parsed opt-in so the next span reads the environment again (internal). */
export function resetSemconvStability(): void {
  cached = undefined;
}
