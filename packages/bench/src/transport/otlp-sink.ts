import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { countJsonSpans, countProtobufSpans, type ResourceSpanCount } from './otlp-decode.js';

/** What the sink received from one service (one `service.name`). */
export interface SinkTally {
  requests: number;
  bytes: number;
  spans: number;
}

/** A local OTLP/HTTP trace receiver that counts what it gets and discards it. */
export interface OtlpSink {
  /** `http://127.0.0.1:<port>`, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  /** Totals so far, by `service.name`. */
  tallies(): Record<string, SinkTally>;
  /** Requests that were not `POST /v1/traces` or could not be decoded. */
  rejected(): number;
  close(): Promise<void>;
}

/**
 * Starts the sink on 127.0.0.1 (an ephemeral port). It accepts `POST /v1/traces` in http/protobuf or
 * http/json, answers 200 with an empty `ExportTraceServiceResponse` (the exporter's success), and
 * counts requests, bytes and spans per exporting service, so a report can show that spans really
 * left the process (and how many).
 */
export async function startOtlpSink(): Promise<OtlpSink> {
  const tallies: Record<string, SinkTally> = {};
  let rejected = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = Buffer.concat(chunks);
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        rejected++;
        response.writeHead(404).end();
        return;
      }
      const json = (request.headers['content-type'] ?? '').includes('json');
      let counts: ResourceSpanCount[] = [];
      try {
        const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(received) : received;
        counts = json ? countJsonSpans(body.toString('utf8')) : countProtobufSpans(body);
      } catch {
        rejected++;
      }
      // An exporter sends its own process's resource only; requests and bytes go to the first one.
      const tallyOf = (service: string): SinkTally => (tallies[service] ??= { requests: 0, bytes: 0, spans: 0 });
      const first = tallyOf(counts[0]?.serviceName ?? 'unknown');
      first.requests++;
      first.bytes += received.length;
      for (const count of counts) tallyOf(count.serviceName).spans += count.spans;
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : undefined);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    tallies: () => structuredClone(tallies),
    rejected: () => rejected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
