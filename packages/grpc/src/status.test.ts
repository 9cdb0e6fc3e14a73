import { Metadata, status } from '@grpc/grpc-js';
import { ErrorCode, markDescribesThisSide, markExhaustedDownstream, SwitchyardError } from '@switchyard/core';
import { GrpcCallError, grpcError } from '@switchyard/grpc';
import { toGrpcStatus } from './status.js';
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

describe('toGrpcStatus (what a server replies for a failed handler)', () => {
  it('replies a third-party error with a numeric code as INTERNAL, never with its message', () => {
    // A database driver's error: code 14 is its own (TypeMismatch), not gRPC UNAVAILABLE.
    class MongoServerError extends Error {
      override name = 'MongoServerError';
    }
    const driverError = Object.assign(new MongoServerError('users.password_hash "s3cr3t"'), { code: 14 });
    expect(toGrpcStatus(driverError)).toEqual({ code: status.INTERNAL, details: 'internal error', masked: true });
  });

  it('replies a plain Error or object given a gRPC code as that status: the handler means it', () => {
    const notFound = Object.assign(new Error('product sku-9 not found'), { code: status.NOT_FOUND });
    expect(toGrpcStatus(notFound)).toEqual({ code: status.NOT_FOUND, details: 'product sku-9 not found' });
    expect(toGrpcStatus({ code: status.FAILED_PRECONDITION, message: 'out of stock' })).toEqual({
      code: status.FAILED_PRECONDITION,
      details: 'out of stock',
    });
  });

  it("replies grpc-js's own status shape and grpcError() as given: the handler means them", () => {
    expect(toGrpcStatus({ code: status.NOT_FOUND, details: 'no such product' })).toEqual({
      code: status.NOT_FOUND,
      details: 'no such product',
    });
    expect(toGrpcStatus(grpcError(status.UNAVAILABLE, 'maintenance until 10:00'))).toMatchObject({
      code: status.UNAVAILABLE,
      details: 'maintenance until 10:00',
    });
  });

  it('takes grpcError() by the status name too, and refuses a code that is no error status, naming code', () => {
    expect(toGrpcStatus(grpcError('NOT_FOUND', 'no such product'))).toEqual({
      code: status.NOT_FOUND,
      details: 'no such product',
    });
    // Both were replied UNKNOWN "Unknown Error", unlogged: the intended status lost.
    for (const code of ['NOPE', 'toString', 17, -1, 1.5, status.OK, undefined]) {
      expect(() => grpcError(code as never, 'x')).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'code' }),
      );
    }
  });

  it("keeps a downstream's or an internal failure's text on this side for the server-side codes", () => {
    const downstream = new GrpcCallError(status.INTERNAL, 'db password=hunter2 at 10.1.2.3', { fromDownstream: true });
    expect(toGrpcStatus(downstream)).toMatchObject({ code: status.INTERNAL, details: 'internal error', masked: true });
    const unavailable = new SwitchyardError('UNAVAILABLE', 'c GET /admin: HTTP 503: {"host":"10.1.2.3"}');
    expect(toGrpcStatus(unavailable)).toMatchObject({ code: status.UNAVAILABLE, details: 'service unavailable' });
    // A client-side code is about the request: its text goes back.
    const notFound = new SwitchyardError('NOT_FOUND', 'product sku-9 not found');
    expect(toGrpcStatus(notFound)).toEqual({ code: status.NOT_FOUND, details: 'product sku-9 not found' });
  });

  it("keeps the text of a client's error about its own side on this side, whatever its code", () => {
    // The HTTP client's too-large response, relayed by a gRPC handler: it names the downstream.
    const tooLarge = markDescribesThisSide(
      new SwitchyardError('RESOURCE_EXHAUSTED', 'c GET /big: the response from http://10.1.2.3:8080 exceeds …'),
    );
    expect(toGrpcStatus(tooLarge)).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details: 'resource exhausted',
      masked: true,
    });
  });

  it('tells the caller not to retry a failure whose own server said not to, whatever its protocol', () => {
    const relayed = markExhaustedDownstream(new SwitchyardError('UNAVAILABLE', 'b GET /: HTTP 503'));
    expect(toGrpcStatus(relayed).metadata?.get('grpc-retry-pushback-ms')).toEqual(['-1']);
    expect(toGrpcStatus(new SwitchyardError('UNAVAILABLE', 'x')).metadata).toBeUndefined();
  });

  it('maps every Switchyard code to a gRPC status, none but UNKNOWN itself to UNKNOWN', () => {
    // REGISTRATION_LOST (a handler whose registration was lost) replied UNKNOWN, where HTTP says 503.
    for (const code of Object.values(ErrorCode)) {
      const reply = toGrpcStatus(new SwitchyardError(code, 'x'));
      if (code !== 'UNKNOWN') expect(reply.code, code).not.toBe(status.UNKNOWN);
    }
    expect(toGrpcStatus(new SwitchyardError('REGISTRATION_LOST', 'x')).code).toBe(status.UNAVAILABLE);
  });
});

describe('toGrpcStatus: a reply that fits one HTTP/2 header (65,536 bytes, what Node decodes)', () => {
  it('leaves details that fit as they are, and does not copy trailers that fit', () => {
    const metadata = new Metadata();
    metadata.set('x-small', 'kept');
    const reply = toGrpcStatus(new GrpcCallError(status.NOT_FOUND, 'é'.repeat(7_000), { metadata }));
    expect(reply.details).toBe('é'.repeat(7_000));
    expect(reply.metadata).toBe(metadata);
    expect(reply.detailsTruncated).toBeUndefined();
    expect(reply.droppedTrailers).toBeUndefined();
  });

  it('cuts details by their percent-encoded length, at a whole code point, and says so', () => {
    // 'é' is %C3%A9 on the wire (6 characters), '😀' %F0%9F%98%80 (12): 80,000 of them cannot fit.
    for (const unit of ['é', '😀', 'a b']) {
      const reply = toGrpcStatus(grpcError('INVALID_ARGUMENT', unit.repeat(80_000)));
      expect(reply.code).toBe(status.INVALID_ARGUMENT);
      expect(reply.detailsTruncated).toBe(true);
      expect(reply.details.endsWith('… (truncated)')).toBe(true);
      expect(encodeURI(reply.details).length).toBeLessThanOrEqual(65_536);
      expect(encodeURI(reply.details).length).toBeGreaterThan(65_536 - 12 - encodeURI('… (truncated)').length);
    }
  });

  it('keeps long details that HPACK compresses under the limit', () => {
    const details = 'a'.repeat(100_000); // 5 bits each, Huffman-coded: 62,500 bytes
    expect(toGrpcStatus(grpcError('NOT_FOUND', details)).details).toBe(details);
  });

  it('leaves out a trailer too large for one header, text or binary, and names it', () => {
    const metadata = new Metadata();
    metadata.set('x-small', 'kept');
    metadata.set('x-huge', 'q'.repeat(80_000)); // 7 bits each: 70,000 bytes
    metadata.set('x-huge-bin', Buffer.alloc(100_000, 0xff)); // '/' × 133,336 in base64, 6 bits each: 100,002 bytes
    const reply = toGrpcStatus(new GrpcCallError(status.NOT_FOUND, 'no such thing', { metadata }));
    expect(reply.droppedTrailers).toEqual(['x-huge', 'x-huge-bin']);
    expect(reply.metadata?.getMap()).toEqual({ 'x-small': 'kept' });
    expect(metadata.get('x-huge')).toHaveLength(1); // the handler's own object is left alone
    expect(reply.details).toBe('no such thing');
  });
});
