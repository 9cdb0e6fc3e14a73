/**
 * `pnpm bench:http`: `POST /echo` JSON over loopback, the Switchyard HTTP client (tracing off and on)
 * next to raw undici (untraced, and traced by OpenTelemetry's undici instrumentation), each subject
 * in its own client process against one `node:http` server in another, alternated in rounds at
 * concurrency 1 and 64. Runs compiled (see the README): prints a markdown report and writes
 * results/http.json. `BENCH_QUICK=1` runs a smoke-sized version;
 * `BENCH_ONLY`, `BENCH_EXTRA` and `BENCH_CPU_PROF` pick subjects and profile them. Exits non-zero on
 * any error.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../machine.js';
import { finishHeader } from '../report-header.js';
import { progressLog, resultsFile, runMain, writeResults } from '../bench-main.js';
import { profilesOf, selectSubjects } from '../transport/bench-main.js';
import { startOtlpSink } from '../transport/otlp-sink.js';
import { runRounds, type WorkerSpec } from '../transport/rounds.js';
import { compare, loadRange, summarize } from '../transport/summary.js';
import { packageVersions, sourceRevision } from '../versions.js';
import { httpSubjects } from './catalog.js';
import { httpBenchConfig } from './config.js';
import { type HttpReport, httpComparisons, renderHttpReport } from './report.js';
import type { HttpSubjectSettings } from './subjects.js';

const COMMAND = 'pnpm bench:http';
const PROFILE_DIR = fileURLToPath(new URL('../../results/profiles', import.meta.url));

async function main(): Promise<void> {
  const config = httpBenchConfig();
  const machine = machineInfo();
  // The revision measured is the one built just before this process started: read it now, not
  // after a run of minutes in a tree where commits land every few minutes.
  const source = sourceRevision();
  const startedAt = new Date();
  const started = performance.now();
  const log = progressLog(started);
  const subjects = selectSubjects(httpSubjects(config.deadlineMs), config);

  const sink = await startOtlpSink();
  log(`OTLP sink on ${sink.endpoint}`);
  const workers: WorkerSpec[] = subjects.map((subject) => {
    const serviceName = `bench-http-${subject.id}`;
    const settings: HttpSubjectSettings = {
      kind: subject.kind,
      deadlineMs: config.deadlineMs,
      traced: subject.traced === true,
      discardSpans: subject.discardSpans === true,
      otelInstrumented: subject.otelInstrumented === true,
      sampleRatio: subject.sampleRatio ?? 1,
      noPolicy: subject.noPolicy === true,
      traceparent: subject.traceparent === true,
      serviceName,
    };
    return {
      id: subject.id,
      server: 'plain',
      settings,
      ...(subject.traced ? { env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint } } : {}),
    };
  });

  let results: Awaited<ReturnType<typeof runRounds>>;
  try {
    results = await runRounds({
      serverFile: fileURLToPath(new URL('./server.js', import.meta.url)),
      workerFile: fileURLToPath(new URL('./worker.js', import.meta.url)),
      servers: [{ id: 'plain' }],
      workers,
      config: { ...config, profileDir: PROFILE_DIR },
      log,
    });
  } finally {
    await sink.close();
  }

  const summaries = summarize(results, new Map(subjects.map((subject) => [subject.id, subject.label])));
  const report: HttpReport = {
    ...finishHeader(
      {
        title: 'Switchyard HTTP benchmark',
        command: COMMAND,
        quick: config.quick,
        startedAt: startedAt.toISOString(),
        machine,
        versions: {
          ...packageVersions([
            '@switchyard/http',
            '@switchyard/discovery',
            '@switchyard/resilience',
            '@switchyard/tracing',
            'undici',
            '@opentelemetry/api',
            '@opentelemetry/instrumentation-undici',
          ]),
          source,
        },
      },
      started,
    ),
    config,
    subjects,
    summaries,
    comparisons: compare(results, httpComparisons(config)),
    sink: { endpoint: sink.endpoint, tallies: sink.tallies(), rejected: sink.rejected() },
    tracedServices: subjects
      .filter((subject) => subject.traced)
      .map((subject) => ({
        subject: subject.id,
        serviceName: `bench-http-${subject.id}`,
        side: subject.discardSpans ? 'client, discarded at end' : 'client',
      })),
    loadDuringRuns: loadRange(results),
    profiles: profilesOf(results, startedAt),
    results,
  };
  process.stdout.write(renderHttpReport(report));
  const file = resultsFile('http');
  await writeResults(file, report);
  log(`wrote ${file.pathname}`);
}

runMain('bench:http', main);
