import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { describe, expect, it } from 'vitest';
import { deserializeResult, serializeResult } from './export-thread-messages.js';

/** What crosses the thread boundary: a structured clone of the serialized form. */
function acrossThreads<T>(value: T): T {
  return structuredClone(value);
}

describe('export results across the thread boundary', () => {
  it('keeps an OTLPExporterError’s HTTP status and body, which structured cloning alone would drop', () => {
    const result = deserializeResult(
      acrossThreads(
        serializeResult({ status: 'failure', error: new OTLPExporterError('Bad Request', 400, 'bad span') }),
      ),
    );
    expect(result.status).toBe('failure');
    const error = result.status === 'failure' ? result.error : undefined;
    expect(error).toBeInstanceOf(OTLPExporterError);
    expect(error).toMatchObject({ message: 'Bad Request', code: 400, data: 'bad span' });
  });

  it('keeps a network error’s code and a retryable result’s wait', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' });
    const result = deserializeResult(
      acrossThreads(serializeResult({ status: 'retryable', retryInMillis: 2_000, error: refused })),
    );
    expect(result).toMatchObject({ status: 'retryable', retryInMillis: 2_000 });
    expect(result.status === 'retryable' ? result.error : undefined).toMatchObject({
      message: refused.message,
      code: 'ECONNREFUSED',
    });
  });

  it('keeps a success’s response body (a partial-success report)', () => {
    const data = new Uint8Array([8, 1]);
    expect(deserializeResult(acrossThreads(serializeResult({ status: 'success', data })))).toEqual({
      status: 'success',
      data,
    });
  });
});
