import { context } from '@opentelemetry/api';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { endRpcSpan, initTracing, startClientAttemptSpan, startServerSpan, type Tracing } from './index.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';
import { redactUrl } from './redact-url.js';

// An S3 presigned URL (AWS Signature Version 4, what every current AWS SDK's presigner makes), with a
// session token as issued to a role. Semantic conventions 1.45 (the pinned version) list
// X-Amz-Signature, X-Amz-Credential and X-Amz-Security-Token among the query keys whose values
// SHOULD be redacted by default in url.full and url.query.
const SECRET_SIGNATURE = 'f2c1e0b7d9a84c3e9b5a6d7e8f9012345678';
const SECRET_CREDENTIAL = 'ASIAEXAMPLEKEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request';
const SECRET_TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';
const PRESIGNED =
  'https://bucket.s3.us-east-1.amazonaws.com/reports/q1.pdf' +
  `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${SECRET_CREDENTIAL}&X-Amz-Date=20260101T000000Z` +
  `&X-Amz-Expires=900&X-Amz-Security-Token=${SECRET_TOKEN}&X-Amz-SignedHeaders=host&X-Amz-Signature=${SECRET_SIGNATURE}`;

describe('signed-URL redaction per semantic conventions 1.45 (SigV4 values were kept before)', () => {
  it('redactUrl redacts the SigV4 query credentials (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token)', () => {
    expect(redactUrl(PRESIGNED)).toBe(
      'https://bucket.s3.us-east-1.amazonaws.com/reports/q1.pdf' +
        '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20260101T000000Z' +
        '&X-Amz-Expires=900&X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED',
    );
  });

  describe('on spans', () => {
    let tracing: Tracing;
    beforeEach(() => {
      vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', 'http/dup');
      vi.stubEnv('OTEL_TRACES_SAMPLER', '');
      tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
    });
    resetOpenTelemetryAfterEach(() => tracing.shutdown());

    it('a client span of a presigned S3 download carries no signature, access key id or session token', () => {
      const client = startClientAttemptSpan({ system: 'http', service: 's3', method: 'GET', url: PRESIGNED });
      endRpcSpan(client, { httpStatusCode: 200 });
      const path = new URL(PRESIGNED).pathname;
      const server = startServerSpan({
        system: 'http',
        service: 'files',
        method: 'GET',
        url: PRESIGNED.slice(PRESIGNED.indexOf(path)),
        parent: context.active(),
      });
      endRpcSpan(server, { httpStatusCode: 200 });
      const recorded = JSON.stringify(tracing.getFinishedSpans().map((span) => span.attributes));
      // url.full, http.url (client), url.query, http.target (server)
      expect(recorded).not.toContain(SECRET_SIGNATURE);
      expect(recorded).not.toContain(SECRET_TOKEN);
      expect(recorded).not.toContain('ASIAEXAMPLEKEY');
    });
  });
});
