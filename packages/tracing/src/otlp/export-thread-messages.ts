import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { OtlpSendResult } from './otlp-http-send.js';

/** Main thread → export thread: one encoded export request (its buffer is transferred, not copied). */
export interface ExportRequestMessage {
  id: number;
  body: ArrayBuffer;
  timeoutMillis: number;
}

/** Export thread → main thread: how that request ended, after any retries. */
export interface ExportResultMessage {
  id: number;
  result: SerializedResult;
}

/**
 * An error as it crosses threads. Structured cloning keeps an Error's message but drops the
 * fields an {@link OTLPExporterError} adds (the HTTP status and the collector's body), which the
 * exporter's self-observability metrics read, so they travel as plain fields.
 */
interface SerializedError {
  message: string;
  name: string;
  code?: number;
  data?: string;
  errno?: string;
}

type SerializedResult =
  | { status: 'success'; data?: Uint8Array }
  | { status: 'failure'; error: SerializedError }
  | { status: 'retryable'; retryInMillis?: number; error?: SerializedError };

function serializeError(error: Error): SerializedError {
  const serialized: SerializedError = { message: error.message, name: error.name };
  if (error instanceof OTLPExporterError) {
    if (error.code !== undefined) serialized.code = error.code;
    if (error.data !== undefined) serialized.data = error.data;
  }
  const errno = (error as NodeJS.ErrnoException).code;
  if (typeof errno === 'string') serialized.errno = errno;
  return serialized;
}

function deserializeError(serialized: SerializedError): Error {
  if (serialized.code !== undefined) return new OTLPExporterError(serialized.message, serialized.code, serialized.data);
  const error: Error & { code?: string } = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.errno !== undefined) error.code = serialized.errno;
  return error;
}

/** A send result made safe to post to another thread. */
export function serializeResult(result: OtlpSendResult): SerializedResult {
  switch (result.status) {
    case 'success':
      return result.data === undefined ? { status: 'success' } : { status: 'success', data: result.data };
    case 'failure':
      return { status: 'failure', error: serializeError(result.error) };
    case 'retryable':
      return {
        status: 'retryable',
        ...(result.retryInMillis === undefined ? {} : { retryInMillis: result.retryInMillis }),
        ...(result.error === undefined ? {} : { error: serializeError(result.error) }),
      };
  }
}

/** The result as the export delegate expects it, errors rebuilt. */
export function deserializeResult(result: SerializedResult): OtlpSendResult {
  switch (result.status) {
    case 'success':
      return result.data === undefined ? { status: 'success' } : { status: 'success', data: result.data };
    case 'failure':
      return { status: 'failure', error: deserializeError(result.error) };
    case 'retryable':
      return {
        status: 'retryable',
        ...(result.retryInMillis === undefined ? {} : { retryInMillis: result.retryInMillis }),
        ...(result.error === undefined ? {} : { error: deserializeError(result.error) }),
      };
  }
}
