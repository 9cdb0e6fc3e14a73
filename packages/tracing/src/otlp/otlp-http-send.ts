import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';

const gzipAsync = promisify(gzip);

/** What one OTLP/HTTP send attempt ends with, as the OpenTelemetry exporters' retry logic reads it. */
export type OtlpSendResult =
  | { status: 'success'; data?: Uint8Array }
  | { status: 'failure'; error: Error }
  | { status: 'retryable'; retryInMillis?: number; error?: Error };

/** Where and how an OTLP/HTTP request goes (resolved once, from the exporter's configuration). */
export interface OtlpHttpTarget {
  url: URL;
  /** Every header but `content-length` (and `content-encoding` for gzip), which each send sets. */
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  agent: Agent;
  /** `http.request` or `https.request`, matching the URL. */
  request: (url: URL, options: RequestOptions, callback: (response: IncomingMessage) => void) => ClientRequest;
}

/** The collector's answer is read up to this size; more is a failure, as in the official exporter. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Network errors that a later attempt may not meet (the official exporter's list). */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** 429 and the three gateway statuses are transient (OTLP/HTTP specification). */
function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** `Retry-After` as milliseconds to wait: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMillis(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sends one OTLP/HTTP export request: the body in a single write with its `content-length`
 * (gzipped first when configured), and the answer classified as the OTLP/HTTP specification asks:
 * 2xx success (with the response body, which may report a partial success), 429/502/503/504 and
 * connection failures retryable (with `Retry-After` when given), anything else a failure carrying
 * the status and body. Never rejects. The official exporter streams the body through a piped
 * `Readable` in chunked encoding instead; one sized write costs less and reads the same.
 */
export async function sendOtlpHttp(
  target: OtlpHttpTarget,
  body: Uint8Array,
  timeoutMillis: number,
): Promise<OtlpSendResult> {
  let payload = body;
  const headers: Record<string, string | number> = { ...target.headers };
  if (target.compression === 'gzip') {
    try {
      payload = await gzipAsync(body);
    } catch (error) {
      return { status: 'failure', error: asError(error) };
    }
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = payload.byteLength;
  return new Promise<OtlpSendResult>((resolve) => {
    let settled = false;
    const settle = (result: OtlpSendResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = target.request(target.url, { method: 'POST', headers, agent: target.agent }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          settle({ status: 'failure', error: new Error(`OTLP export response exceeded ${MAX_RESPONSE_BYTES} bytes`) });
          response.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => settle(classify(response, Buffer.concat(chunks))));
      // The request was received when a status came back; an error reading the rest changes nothing for a 2xx.
      response.on('error', (error) => settle(classify(response, Buffer.alloc(0), error)));
    });
    request.setTimeout(timeoutMillis, () => {
      request.destroy();
      settle({ status: 'retryable', error: new Error(`OTLP export timed out after ${timeoutMillis} ms`) });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      settle(
        error.code !== undefined && RETRYABLE_NETWORK_CODES.has(error.code)
          ? { status: 'retryable', error }
          : { status: 'failure', error },
      );
    });
    request.end(payload);
  });
}

function classify(response: IncomingMessage, data: Buffer, readError?: Error): OtlpSendResult {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status <= 299) return { status: 'success', data };
  const retryAfter = retryAfterMillis(headerValue(response.headers['retry-after']));
  if (isRetryableStatus(status)) {
    return {
      status: 'retryable',
      ...(retryAfter === undefined ? {} : { retryInMillis: retryAfter }),
      ...(readError === undefined ? {} : { error: readError }),
    };
  }
  return {
    status: 'failure',
    error: readError ?? new OTLPExporterError(response.statusMessage, status, data.toString()),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
