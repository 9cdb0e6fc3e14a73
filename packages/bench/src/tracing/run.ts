/**
 * `pnpm bench:tracing`: what encoding spans for OTLP export costs, per span, with Switchyard's
 * SpanEncoder next to the official `@opentelemetry/otlp-transformer` ProtobufTraceSerializer, in one
 * process, on the same batches of real client-attempt spans, in alternating rounds. Checks first that
 * both write the same bytes. Runs compiled: prints a markdown report and writes results/tracing.json.
 * `BENCH_QUICK=1` runs a smoke-sized version. Exits non-zero on any error.
 */
import { performance } from 'node:perf_hooks';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SpanEncoder } from '@switchyard/tracing';
import { machineInfo } from '../machine.js';
import { finishHeader } from '../report-header.js';
import { spread } from '../stats.js';
import { packageVersions, sourceRevision } from '../versions.js';
import { progressLog, resultsFile, runMain, writeResults } from '../bench-main.js';
import { tracingBenchConfig } from './config.js';
import { clientAttemptSpans } from './spans.js';
import { renderReport, type TracingReport } from './report.js';

const COMMAND = 'pnpm bench:tracing';

interface Subject {
  id: 'official' | 'switchyard';
  label: string;
  encode: (spans: Parameters<SpanEncoder['encode']>[0]) => Uint8Array;
}

/** Nanoseconds per span over `passes` encodings of `spans`. */
function time(subject: Subject, spans: Parameters<SpanEncoder['encode']>[0], passes: number): number {
  let bytes = 0;
  const started = performance.now();
  for (let pass = 0; pass < passes; pass++) bytes += subject.encode(spans).length;
  const elapsed = performance.now() - started;
  if (bytes === 0) throw new Error(`${subject.id} wrote nothing`);
  return (elapsed * 1e6) / (passes * spans.length);
}

async function main(): Promise<void> {
  const { quick, ...config } = tracingBenchConfig();
  // Read before the work, like every other benchmark: its load average is the header's "at start".
  // (Read inside finishHeader's arguments, after the rounds, it gave the load at the end twice.)
  const machine = machineInfo();
  // The revision measured is the one built just before this process started: read it now, not
  // after a run of minutes in a tree where commits land every few minutes.
  const source = sourceRevision();
  const startedAt = new Date();
  const started = performance.now();
  const log = progressLog(started);

  const spans = await clientAttemptSpans(config.batchSize, config.errorShare);
  const encoder = new SpanEncoder();
  const subjects: Subject[] = [
    {
      id: 'official',
      label:
        '@opentelemetry/otlp-transformer ProtobufTraceSerializer.serializeRequest (what exporter-trace-otlp-proto uses)',
      encode: (batch) => ProtobufTraceSerializer.serializeRequest([...batch]) as Uint8Array,
    },
    {
      id: 'switchyard',
      label: '@switchyard/tracing SpanEncoder.encode (what the `otlp` exporter uses)',
      encode: (batch) => encoder.encode(batch),
    },
  ];
  const [official, ours] = subjects.map((subject) => Buffer.from(subject.encode(spans)));
  if (!official?.equals(ours as Buffer))
    throw new Error('SpanEncoder and the official serializer wrote different bytes');
  const bytesPerSpan = (official as Buffer).length / spans.length;

  for (const subject of subjects) time(subject, spans, config.passesPerRound);
  log('warmed up');
  const samples = new Map(subjects.map((subject) => [subject.id, [] as number[]]));
  for (let round = 0; round < config.rounds; round++) {
    for (let step = 0; step < subjects.length; step++) {
      const subject = subjects[(round + step) % subjects.length] as Subject;
      samples.get(subject.id)?.push(time(subject, spans, config.passesPerRound));
    }
  }
  log(`${config.rounds} rounds done`);

  const report: TracingReport = {
    ...finishHeader(
      {
        title: 'Switchyard tracing benchmark: OTLP span encoding',
        command: COMMAND,
        quick,
        startedAt: startedAt.toISOString(),
        machine,
        versions: {
          ...packageVersions([
            '@switchyard/tracing',
            '@opentelemetry/otlp-transformer',
            '@opentelemetry/sdk-trace-base',
          ]),
          source,
        },
      },
      started,
    ),
    config,
    bytesPerSpan,
    subjects: subjects.map((subject) => ({
      id: subject.id,
      label: subject.label,
      nsPerSpan: spread(samples.get(subject.id) ?? []),
      rounds: samples.get(subject.id) ?? [],
    })),
  };
  process.stdout.write(renderReport(report));
  const file = resultsFile('tracing');
  await writeResults(file, report);
  log(`wrote ${file.pathname}`);
}

runMain('bench:tracing', main);
