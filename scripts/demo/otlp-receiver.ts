/**
 * A minimal OTLP/HTTP JSON receiver for the demo: services export their spans here
 * (OTEL_EXPORTER_OTLP_PROTOCOL=http/json), and the demo reads them back to compute traffic shares
 * and print a trace as a tree. Loopback only.
 */
import { createServer, type Server } from 'node:http';

/** One received span, flattened. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 2 SERVER, 3 CLIENT. */
  kind: number;
  service: string;
  instance: string;
  startMs: number;
  endMs: number;
  statusCode: number;
  attributes: Record<string, string | number | boolean>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };

export interface OtlpReceiver {
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        try {
          collect(JSON.parse(Buffer.concat(chunks).toString('utf8')), spans);
        } catch {
          // A malformed export is dropped; the demo reports what it could read.
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function collect(
  body: { resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: unknown[] }[] }[] },
  into: ReceivedSpan[],
): void {
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = toRecord(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const raw of scope.spans ?? []) {
        const span = raw as Record<string, unknown>;
        into.push({
          traceId: String(span.traceId),
          spanId: String(span.spanId),
          parentSpanId: String(span.parentSpanId ?? ''),
          name: String(span.name),
          kind: Number(span.kind),
          service: String(resource['service.name'] ?? '?'),
          instance: String(resource['service.instance.id'] ?? '?'),
          startMs: Number(BigInt(String(span.startTimeUnixNano)) / 1_000_000n),
          endMs: Number(BigInt(String(span.endTimeUnixNano)) / 1_000_000n),
          statusCode: Number((span.status as { code?: number } | undefined)?.code ?? 0),
          attributes: toRecord(span.attributes as OtlpAttribute[] | undefined),
        });
      }
    }
  }
}

function toRecord(attributes: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  const record: Record<string, string | number | boolean> = {};
  for (const { key, value } of attributes ?? []) {
    record[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue ?? ''));
  }
  return record;
}
