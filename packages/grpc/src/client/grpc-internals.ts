import { CallCredentials, type Client, connectivityState, type Metadata } from '@grpc/grpc-js';

// The one module that reaches below grpc-js's public API. What it uses, in @grpc/grpc-js 1.14
// (the version this package pins): `ChannelImplementation.internalChannel`, whose `doPick()` asks
// the channel's current load-balancing picker for a subchannel, and `Subchannel.createCall()`, the
// call that LoadBalancingCall makes once it has one. Everything is feature-detected when a channel
// is first seen; a channel that does not look as expected simply never takes the fast path.

/** What grpc-js's HTTP/2 call on one connection reports (`SubchannelCallInterceptingListener`). */
export interface SubchannelCallListener {
  onReceiveMetadata(metadata: Metadata): void;
  /** A whole gRPC message, still framed: 1 byte compressed flag, 4 bytes length, then the bytes. */
  onReceiveMessage(message: Buffer): void;
  onReceiveStatus(status: { code: number; details: string; metadata: Metadata }): void;
}

/** The HTTP/2 call on one connection (grpc-js's `SubchannelCall`). */
export interface SubchannelCall {
  /** Sends one framed message. */
  sendMessageWithContext(context: object, message: Buffer): void;
  halfClose(): void;
  /** Lets the next message through (the stream pauses after each one). */
  startRead(): void;
  cancelWithStatus(code: number, details: string): void;
}

/** A connected subchannel (one HTTP/2 connection) that can start a call at once. */
export interface ReadySubchannel {
  createCall(metadata: Metadata, host: string, method: string, listener: SubchannelCallListener): SubchannelCall;
}

interface PickResult {
  pickResultType: number;
  subchannel: {
    getConnectivityState(): number;
    getCallCredentials(): unknown;
    getRealSubchannel(): ReadySubchannel;
  } | null;
  onCallStarted: unknown;
  onCallEnded: unknown;
}

interface InternalChannel {
  doPick(metadata: Metadata, extraPickInfo: Record<string, string>): PickResult;
  options: Record<string, unknown>;
  defaultAuthority: string;
  lastActivityTimestamp: number;
}

/** A channel whose calls may skip grpc-js's per-call stack (see {@link fastLaneOf}). */
export interface FastLane {
  /** The connected subchannel the channel's picker chose, or undefined when there is none yet. */
  readySubchannel(metadata: Metadata): ReadySubchannel | undefined;
  /** The `:authority` grpc-js would send. */
  readonly authority: string;
  /** Tells the channel it is in use, so that its idle timer does not close a busy connection. */
  touch(now: number): void;
}

const PICK_COMPLETE = 0;
const NO_PICK_INFO = Object.freeze({}) as Record<string, string>;
const EMPTY_CALL_CREDENTIALS = CallCredentials.createEmpty().constructor;

function looksInternal(value: unknown): value is InternalChannel {
  const channel = value as Partial<InternalChannel> | undefined;
  return (
    typeof channel?.doPick === 'function' &&
    typeof channel.defaultAuthority === 'string' &&
    typeof channel.lastActivityTimestamp === 'number' &&
    typeof channel.options === 'object'
  );
}

// Channel options that act in the layers the fast lane skips: a channel that sets them takes
// grpc-js's full path. The compression filter applies the send limit and compression; the resolving
// call applies a service config's method timeouts (with a service config on the channel, its first
// call was cut at the configured timeout and every later one, in the fast lane, was not). Folding
// the timeout in here would mean redoing grpc-js's method-config matching on every call.
const FULL_PATH_OPTIONS = ['grpc.max_send_message_length', 'grpc.default_compression_algorithm', 'grpc.service_config'];

function needsFullPath(options: Record<string, unknown>): boolean {
  return FULL_PATH_OPTIONS.some((name) => options[name] !== undefined && options[name] !== -1);
}

function laneFor(client: Client): FastLane | null {
  const internal = (client.getChannel() as unknown as { internalChannel?: unknown }).internalChannel;
  if (!looksInternal(internal) || needsFullPath(internal.options)) return null;
  return {
    authority: internal.defaultAuthority,
    readySubchannel(metadata) {
      const pick = internal.doPick(metadata, NO_PICK_INFO);
      // A picker that tracks calls (onCallStarted/onCallEnded) needs the full path; grpc-js's
      // pick_first, which Switchyard's channels use, tracks none.
      if (pick.pickResultType !== PICK_COMPLETE || pick.onCallStarted || pick.onCallEnded) return undefined;
      const subchannel = pick.subchannel;
      if (!subchannel || subchannel.getConnectivityState() !== connectivityState.READY) return undefined;
      // Call credentials (tokens added per call) are applied by the layer the fast lane skips.
      if (!(subchannel.getCallCredentials() instanceof EMPTY_CALL_CREDENTIALS)) return undefined;
      return subchannel.getRealSubchannel();
    },
    touch(now) {
      internal.lastActivityTimestamp = now;
    },
  };
}

const lanes = new WeakMap<Client, FastLane | null>();

/**
 * The fast lane of a grpc-js client's channel, or undefined when this channel cannot take it
 * (grpc-js internals not as expected). Looked up once per channel.
 */
export function fastLaneOf(client: Client): FastLane | undefined {
  let lane = lanes.get(client);
  if (lane === undefined) {
    lane = laneFor(client);
    lanes.set(client, lane);
  }
  return lane ?? undefined;
}

/**
 * Sets a metadata entry that is valid by construction (a lowercase key of legal characters, a
 * printable-ASCII value: `traceparent`, `grpc-timeout`), as `Metadata.set` would, minus the
 * per-call regular expressions that check what is already known (~0.4 µs per entry in a profile
 * of the client). Falls back to `Metadata.set` when the metadata does not keep its entries where
 * grpc-js 1.14 does (`internalRepr`, a Map of key → values).
 */
export function setValidMetadata(metadata: Metadata, key: string, value: string): void {
  const entries = (metadata as unknown as { internalRepr?: unknown }).internalRepr;
  if (entries instanceof Map) entries.set(key, [value]);
  else metadata.set(key, value);
}
