import { ATTRIBUTION_SUBJECTS } from '../transport/attribution.js';
/** The servers of `pnpm bench:grpc`: the plain one every subject but one calls, and its instrumented twin. */
export type GrpcServerId = 'plain' | 'otel';

/** A subject as the parent sees it: what it is, which server it calls, how its process starts. */
export interface GrpcSubjectSpec {
  id: string;
  label: string;
  server: GrpcServerId;
  /** Its process preloads otel-preload.js (instrumentation-grpc enabled before grpc-js loads). */
  otelPreload?: boolean;
  /** Its worker needs the OTLP sink's endpoint (it exports spans). */
  traced?: boolean;
  /** With `traced`: the share of calls traced (initTracing's `sampleRatio`); 1 when unset. */
  sampleRatio?: number;
  /** Traced, but its worker drops every span as it ends: what the export pipeline costs, by difference. */
  discardSpans?: boolean;
  /** Run only when named in `BENCH_ONLY`. */
  optional?: boolean;
  /** grpc-js channels (connections) it spreads calls over. */
  channels: number;
  /** Raw grpc-js calls, the Switchyard client, or raw calls inside cockatiel's policies. */
  kind: 'raw' | 'switchyard' | 'cockatiel';
  /** Raw calls only: give every call a grpc-js deadline (the Switchyard and cockatiel subjects always have one). */
  deadline?: boolean;
  /** Raw calls only: `grpc.enable_channelz: 0`, as the Switchyard client's channels have. */
  channelzOff?: boolean;
  /** Raw calls only: each carries a fresh `traceparent` (see fresh-traceparents.ts), with no tracing. */
  traceparent?: boolean;
}

/** Every subject, in report order. `sdkChannels` is the SDK's default `channelsPerInstance`. */
export function grpcSubjects(sdkChannels: number, deadlineMs: number): GrpcSubjectSpec[] {
  const raw = (channels: number, optional = false): GrpcSubjectSpec => ({
    id: `grpc-js-${channels}ch`,
    label:
      channels === 1
        ? 'raw grpc-js, one channel: `new Client(addr, insecure)` + makeUnaryRequest'
        : `raw grpc-js, ${channels} channels (\`use_local_subchannel_pool\`: ${channels} connections), round-robin`,
    server: 'plain',
    channels,
    kind: 'raw',
    optional,
  });
  const sdk = (channels: number): GrpcSubjectSpec => ({
    id: `switchyard-${channels}ch`,
    label: `the same as \`switchyard\` with \`channelsPerInstance: ${channels}\``,
    server: 'plain',
    channels,
    kind: 'switchyard',
    optional: true,
  });
  const subjects: GrpcSubjectSpec[] = [
    raw(1),
    raw(2),
    raw(3),
    raw(4),
    {
      id: 'grpc-js-1ch-no-channelz',
      label: "raw grpc-js, one channel, with `grpc.enable_channelz: 0` (the SDK channels' setting), for attribution",
      server: 'plain',
      channels: 1,
      kind: 'raw',
      channelzOff: true,
    },
    {
      id: 'switchyard',
      label: `createGrpcClient (default policy: retry with budget + breaker; ${sdkChannels} channels) via createDiscovery p2c-ewma, deadlineMs ${deadlineMs}, tracing off`,
      server: 'plain',
      channels: sdkChannels,
      kind: 'switchyard',
    },
    {
      id: 'switchyard-traced',
      label: 'the same with initTracing (OTLP http/protobuf to a local sink, 100 % sampled, batch processor)',
      server: 'plain',
      channels: sdkChannels,
      kind: 'switchyard',
      traced: true,
    },
    { ...ATTRIBUTION_SUBJECTS.sampled, server: 'plain', channels: sdkChannels },
    {
      id: 'cockatiel',
      label: `raw grpc-js, one channel, in cockatiel wrap(timeout ${deadlineMs} ms, retry, circuitBreaker)`,
      server: 'plain',
      channels: 1,
      kind: 'cockatiel',
    },
    {
      id: 'otel-instrumented',
      label:
        'raw grpc-js, one channel, @opentelemetry/instrumentation-grpc on client and server (both traced, OTLP, 100 %, batch)',
      server: 'otel',
      channels: 1,
      kind: 'raw',
      otelPreload: true,
      traced: true,
    },
    { ...ATTRIBUTION_SUBJECTS.again, server: 'plain', channels: sdkChannels },
    { ...ATTRIBUTION_SUBJECTS.unexported, server: 'plain', channels: sdkChannels },
    ...[1, 2, 3, 4].filter((channels) => channels !== sdkChannels).map(sdk),
    {
      id: 'grpc-js-1ch-deadline',
      label: `raw grpc-js, one channel, with a per-call deadline (${deadlineMs} ms), for attribution`,
      server: 'plain',
      channels: 1,
      kind: 'raw',
      deadline: true,
      optional: true,
    },
    {
      id: `grpc-js-${sdkChannels}ch-traceparent`,
      label: `raw grpc-js, ${sdkChannels} channels, each call carrying a fresh \`traceparent\` and no tracing: what propagation alone costs, for attribution`,
      server: 'plain',
      channels: sdkChannels,
      kind: 'raw',
      traceparent: true,
      optional: true,
    },
    {
      id: `grpc-js-${sdkChannels}ch-deadline`,
      label: `raw grpc-js, ${sdkChannels} channels, with a per-call deadline (${deadlineMs} ms), for attribution`,
      server: 'plain',
      channels: sdkChannels,
      kind: 'raw',
      deadline: true,
      optional: true,
    },
  ];
  return subjects.filter((spec, index) => subjects.findIndex((other) => other.id === spec.id) === index);
}
