import { Metadata, status } from '@grpc/grpc-js';
import { GrpcCallError } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';

function withPushback(value: string): GrpcCallError {
  const metadata = new Metadata();
  metadata.set('grpc-retry-pushback-ms', value);
  return new GrpcCallError(status.UNAVAILABLE, 'busy', { metadata, retryable: true });
}

describe('GrpcCallError.retryAfterMs (grpc-retry-pushback-ms)', () => {
  it('reads a whole number of ms, and no header as none', () => {
    expect(withPushback('250').retryAfterMs).toBe(250);
    expect(withPushback('0').retryAfterMs).toBe(0);
    expect(new GrpcCallError(status.UNAVAILABLE, 'busy', {}).retryAfterMs).toBeUndefined();
  });

  it('reads anything that does not parse as "do not retry" (-1), as the gRPC retry design says', () => {
    for (const value of ['-1', '-5', '', 'abc', '1.5', '1e3', '99999999999']) {
      expect(withPushback(value).retryAfterMs).toBe(-1);
    }
  });
});
