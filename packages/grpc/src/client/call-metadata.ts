import { Metadata } from '@grpc/grpc-js';
import { assertObject, describeValue, InvalidArgumentError } from '@switchyard/core';
import type { GrpcCallOptions } from './grpc-client-types.js';

// A call's own metadata, checked before any network work: what grpc-js or Node's HTTP/2 would
// refuse on the wire (failing every attempt, or dropping the whole connection) is bad input here.

/**
 * A legal gRPC metadata key (the spec's header name: digits, lowercase letters, `_`, `-`, `.`;
 * grpc-js lowercases the rest). grpc-js accepts more, such as `x:y`, which then fails every attempt
 * on the wire: refused here as bad input instead of being retried into RETRY_EXHAUSTED.
 */
const METADATA_KEY = /^[0-9a-zA-Z_.-]+$/;

function assertMetadataKey(key: string): void {
  if (!METADATA_KEY.test(key)) {
    throw new InvalidArgumentError(
      `options.metadata.${key}`,
      'a metadata key may hold only letters, digits, "_", "-" and "."',
    );
  }
}

/**
 * Headers Node's HTTP/2 refuses to send: the connection-specific ones (RFC 9113 §8.2.2; Node's
 * `isIllegalConnectionSpecificHeader`). `te` is one too unless it is `trailers`, but grpc-js sets
 * `te: trailers` over whatever the metadata held, so it never reaches Node as given.
 */
const CONNECTION_SPECIFIC_HEADERS = new Set([
  'connection',
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/** Headers Node's HTTP/2 sends at most once (Node's `kSingleValueHeaders`, pseudo-headers aside). */
const SINGLE_VALUE_HEADERS = new Set([
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-request-method',
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'dnt',
  'etag',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'tk',
  'upgrade-insecure-requests',
  'user-agent',
  'x-content-type-options',
]);

/**
 * Refuses a metadata key Node's HTTP/2 would refuse to send as `metadata` holds it: a
 * connection-specific key, or several values for a header Node sends once. Node throws from
 * `session.request()`, and grpc-js takes that for a broken connection and drops it: this call
 * failed INTERNAL, and every other call in flight on the connection failed UNAVAILABLE and was
 * retried (run twice on the server). Read from the Metadata (grpc-js lowercases keys), so
 * `Authorization` and `authorization` in one object count as one header given twice.
 */
function assertSendableByNode(metadata: Metadata, key: string): void {
  const name = key.toLowerCase();
  if (CONNECTION_SPECIFIC_HEADERS.has(name)) {
    throw new InvalidArgumentError(
      `options.metadata.${key}`,
      'is a connection-specific header, which HTTP/2 does not carry (Node refuses to send it)',
    );
  }
  if (SINGLE_VALUE_HEADERS.has(name) && metadata.get(name).length > 1) {
    throw new InvalidArgumentError(`options.metadata.${key}`, 'takes a single value (Node sends it only once)');
  }
}

/** The caller's metadata, checked (see assertMetadataKey, assertSendableByNode) before any network work. */
export function toMetadata(input: GrpcCallOptions['metadata']): Metadata {
  if (input === undefined) return new Metadata();
  return input instanceof Metadata ? checkedClone(input) : metadataFromObject(input);
}

function checkedClone(input: Metadata): Metadata {
  for (const key of Object.keys(input.getMap())) {
    assertMetadataKey(key);
    assertSendableByNode(input, key);
  }
  return input.clone();
}

function metadataFromObject(input: unknown): Metadata {
  assertObject('options.metadata', input);
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(input)) {
    assertMetadataKey(key);
    // An array repeats the key; a `-bin` key takes Buffers, as `Metadata.getMap()` gives them
    // (forwarding an incoming call's `getMap()` used to fail on its first binary entry).
    if (Array.isArray(value)) for (const item of value) addMetadata(metadata, key, item);
    else addMetadata(metadata, key, value);
    // After adding: a key given again in other case (`Host`, `host`) adds to the same header.
    assertSendableByNode(metadata, key);
  }
  return metadata;
}

function addMetadata(metadata: Metadata, key: string, value: unknown): void {
  const binary = key.toLowerCase().endsWith('-bin');
  if (binary ? !Buffer.isBuffer(value) : typeof value !== 'string' || /[\r\n]/.test(value)) {
    throw new InvalidArgumentError(
      `options.metadata.${key}`,
      binary
        ? `a "-bin" key takes a Buffer (or an array of them), got ${describeValue(value)}`
        : 'must be a string (or an array of strings) without CR or LF',
    );
  }
  try {
    metadata.add(key, value as string | Buffer);
  } catch (error) {
    // grpc-js refuses illegal header names and values; say which, as bad input.
    throw new InvalidArgumentError(`options.metadata.${key}`, (error as Error).message);
  }
}
