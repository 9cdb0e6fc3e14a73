import { Metadata } from '@grpc/grpc-js';
import { assertObject, describeValue, InvalidArgumentError } from '@switchyard/core';
import { fitsOneHeader, headerStringBytes, MAX_HEADER_STRING_BYTES } from '../header-size.js';
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

/**
 * Refuses a value of `key` too large for one HTTP/2 header as it goes on the wire (HPACK-coded; a
 * `-bin` value base64-encoded first): over {@link MAX_HEADER_STRING_BYTES}, a grpc-js server's
 * HTTP/2 cannot decode it and drops the whole connection (COMPRESSION_ERROR). This call then failed
 * INTERNAL ("Received RST_STREAM with code 9"), and so did every other call in flight on the
 * connection, whose handlers had run: not retried, and counted against a healthy instance.
 */
function assertFitsOneHeader(metadata: Metadata, key: string): void {
  for (const value of metadata.get(key)) {
    const binary = typeof value !== 'string';
    // A Buffer's base64 is 4 ASCII characters for every 3 bytes: short ones need no encoding here.
    if (binary && Math.ceil(value.length / 3) * 4 <= MAX_HEADER_STRING_BYTES) continue;
    const sent = binary ? value.toString('base64') : value;
    if (fitsOneHeader(sent)) continue;
    throw new InvalidArgumentError(
      `options.metadata.${key}`,
      `is ${headerStringBytes(sent)} bytes as HTTP/2 sends it (HPACK-coded${binary ? ', after base64' : ''}), over the ${MAX_HEADER_STRING_BYTES} bytes Node's HTTP/2 decodes in one header: a grpc-js server drops the whole connection for it, failing every call on it; send large data in the request message`,
    );
  }
}

/**
 * The most metadata entries a call may carry (each value of a repeated key counts: it is a header
 * field of its own). A grpc-js server's HTTP/2 (Node's `maxHeaderListPairs`, 128, which grpc-js
 * does not raise) resets a request with more header fields (ENHANCE_YOUR_CALM), which grpc-js
 * reports as RESOURCE_EXHAUSTED "Bandwidth exhausted or memory limit exceeded": taken for the
 * instance's overload (balancer) and counted by the breaker, so that calls with bloated metadata
 * opened the circuit for every call to the service. gRPC's own fields take up to 10 of the 128
 * (`:method`, `:scheme`, `:path`, `:authority`, `user-agent`, `content-type`, `te`,
 * `grpc-timeout`, `grpc-accept-encoding`, `accept-encoding`) and tracing up to 3 (`traceparent`,
 * `tracestate`, `baggage`).
 */
const MAX_METADATA_ENTRIES = 115;

function assertEntryCount(entries: number): void {
  if (entries > MAX_METADATA_ENTRIES) {
    throw new InvalidArgumentError(
      'options.metadata',
      `has ${entries} entries (each value of a repeated key counts), over the ${MAX_METADATA_ENTRIES} a call may carry: a grpc-js server's HTTP/2 takes 128 header fields in a request, up to 13 of them gRPC's and tracing's own, and resets a call with more (RESOURCE_EXHAUSTED)`,
    );
  }
}

/**
 * The caller's metadata, checked (see assertMetadataKey, assertSendableByNode, assertFitsOneHeader,
 * MAX_METADATA_ENTRIES) before any network work.
 */
export function toMetadata(input: GrpcCallOptions['metadata']): Metadata {
  if (input === undefined) return new Metadata();
  return input instanceof Metadata ? checkedClone(input) : metadataFromObject(input);
}

function checkedClone(input: Metadata): Metadata {
  let entries = 0;
  for (const key of Object.keys(input.getMap())) {
    assertMetadataKey(key);
    assertSendableByNode(input, key);
    assertFitsOneHeader(input, key);
    entries += input.get(key).length;
  }
  assertEntryCount(entries);
  return input.clone();
}

function metadataFromObject(input: unknown): Metadata {
  assertObject('options.metadata', input);
  const metadata = new Metadata();
  // Every value added is a header field (a key given again in other case adds to the same entry).
  let entries = 0;
  for (const [key, value] of Object.entries(input)) {
    assertMetadataKey(key);
    entries += Array.isArray(value) ? value.length : 1;
    // An array repeats the key; a `-bin` key takes Buffers, as `Metadata.getMap()` gives them
    // (forwarding an incoming call's `getMap()` used to fail on its first binary entry).
    if (Array.isArray(value)) for (const item of value) addMetadata(metadata, key, item);
    else addMetadata(metadata, key, value);
    // After adding: a key given again in other case (`Host`, `host`) adds to the same header.
    assertSendableByNode(metadata, key);
    assertFitsOneHeader(metadata, key);
  }
  assertEntryCount(entries);
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
