/**
 * `pnpm bench:grpc`: unary echo over loopback, the Switchyard gRPC client (tracing off and on) next to
 * raw grpc-js on 1–4 channels, raw grpc-js inside cockatiel, and raw grpc-js under
 * @opentelemetry/instrumentation-grpc, each subject in its own client process against a server in
 * another, alternated in rounds at concurrency 1 and 64. Runs compiled (see the README): prints a
 * markdown report and writes results/grpc.json. `BENCH_QUICK=1` runs a smoke-sized version;
 * `BENCH_ONLY`, `BENCH_EXTRA` and `BENCH_CPU_PROF` pick subjects and profile them. Exits non-zero on
 * any error.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_GRPC_CLIENT_OPTIONS } from '@switchyard/grpc';
import { machineInfo } from '../machine.js';
import { finishHeader } from '../report-header.js';
import { progressLog, resultsFile, runMain, writeResults } from '../bench-main.js';
import { profilesOf, selectSubjects } from '../transport/bench-main.js';
import { startOtlpSink } from '../transport/otlp-sink.js';
import type { TracedService } from '../transport/report-parts.js';
import { runRounds, type ServerSpec, type WorkerSpec } from '../transport/rounds.js';
import { compare, loadRange, summarize } from '../transport/summary.js';
import { packageVersions, sourceRevision } from '../versions.js';
import { grpcSubjects } from './catalog.js';
import { grpcBenchConfig } from './config.js';
import { channelSweep } from './channels.js';
import { type GrpcReport, grpcComparisons, renderGrpcReport } from './report.js';
import type { GrpcSubjectSettings } from './subjects.js';

const COMMAND = 'pnpm bench:grpc';
const PROFILE_DIR = fileURLToPath(new URL('../../results/profiles', import.meta.url));
const OTEL_SERVER_SERVICE = 'bench-grpc-server-otel';

async function main(): Promise<void> {
  const config = grpcBenchConfig();
  const machine = machineInfo();
  // The revision measured is the one built just before this process started: read it now, not
  // after a run of minutes in a tree where commits land every few minutes.
  const source = sourceRevision();
  const startedAt = new Date();
  const started = performance.now();
  const log = progressLog(started);
  const sdkChannels = DEFAULT_GRPC_CLIENT_OPTIONS.channelsPerInstance;
  const subjects = selectSubjects(grpcSubjects(sdkChannels, config.deadlineMs), config);

  const sink = await startOtlpSink();
  log(`OTLP sink on ${sink.endpoint}`);
  const preload = ['--import', pathToFileURL(fileURLToPath(new URL('./otel-preload.js', import.meta.url))).href];
  const servers: ServerSpec[] = [{ id: 'plain' }];
  if (subjects.some((subject) => subject.server === 'otel')) {
    servers.push({
      id: 'otel',
      execArgv: preload,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, BENCH_OTEL_SERVICE: OTEL_SERVER_SERVICE },
    });
  }
  const workers: WorkerSpec[] = subjects.map((subject) => {
    const serviceName = `bench-grpc-${subject.id}`;
    const settings: GrpcSubjectSettings = {
      kind: subject.kind,
      channels: subject.channels,
      deadlineMs: subject.kind === 'raw' && !subject.deadline ? 0 : config.deadlineMs,
      traced: subject.traced === true,
      discardSpans: subject.discardSpans === true,
      sampleRatio: subject.sampleRatio ?? 1,
      serviceName,
      otelPreload: subject.otelPreload === true,
      channelzOff: subject.channelzOff === true,
      traceparent: subject.traceparent === true,
    };
    return {
      id: subject.id,
      server: subject.server,
      settings,
      ...(subject.otelPreload ? { execArgv: preload } : {}),
      ...(subject.traced
        ? { env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint, BENCH_OTEL_SERVICE: serviceName } }
        : {}),
    };
  });

  let results: Awaited<ReturnType<typeof runRounds>>;
  try {
    results = await runRounds({
      serverFile: fileURLToPath(new URL('./server.js', import.meta.url)),
      workerFile: fileURLToPath(new URL('./worker.js', import.meta.url)),
      servers,
      workers,
      config: { ...config, profileDir: PROFILE_DIR },
      log,
    });
  } finally {
    await sink.close();
  }

  const labels = new Map(subjects.map((subject) => [subject.id, subject.label]));
  const summaries = summarize(results, labels);
  const tracedServices: TracedService[] = subjects
    .filter((subject) => subject.traced)
    .flatMap((subject) => [
      {
        subject: subject.id,
        serviceName: `bench-grpc-${subject.id}`,
        side: subject.discardSpans ? 'client, discarded at end' : 'client',
      },
      ...(subject.server === 'otel' ? [{ subject: subject.id, serviceName: OTEL_SERVER_SERVICE, side: 'server' }] : []),
    ]);
  const profiles = profilesOf(results, startedAt);
  const report: GrpcReport = {
    ...finishHeader(
      {
        title: 'Switchyard gRPC benchmark',
        command: COMMAND,
        quick: config.quick,
        startedAt: startedAt.toISOString(),
        machine,
        versions: {
          ...packageVersions([
            '@switchyard/grpc',
            '@switchyard/discovery',
            '@switchyard/resilience',
            '@switchyard/tracing',
            '@grpc/grpc-js',
            '@opentelemetry/api',
            '@opentelemetry/instrumentation-grpc',
            'cockatiel',
          ]),
          source,
        },
      },
      started,
    ),
    config,
    sdkDefaultChannels: sdkChannels,
    subjects,
    summaries,
    comparisons: compare(results, grpcComparisons(config, sdkChannels)),
    channels: channelSweep(results, summaries, sdkChannels, config.channelStepWins),
    sink: { endpoint: sink.endpoint, tallies: sink.tallies(), rejected: sink.rejected() },
    tracedServices,
    loadDuringRuns: loadRange(results),
    profiles,
    results,
  };
  process.stdout.write(renderGrpcReport(report));
  const file = resultsFile('grpc');
  await writeResults(file, report);
  log(`wrote ${file.pathname}`);
}

runMain('bench:grpc', main);
