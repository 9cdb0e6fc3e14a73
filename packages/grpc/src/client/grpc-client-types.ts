import type { Metadata, MetadataValue, ServiceDefinition } from '@grpc/grpc-js';

/** Per-call options. */
export interface GrpcCallOptions {
  /** Time allowed for this call, retries included. Never extends an inherited deadline. */
  deadlineMs?: number;
  /**
   * Absolute deadline (ms, `Date.now()` clock), instead of `deadlineMs` (given both, the earlier
   * wins). Never extends an inherited deadline.
   */
  deadline?: number;
  /**
   * Request metadata (headers): a `Metadata`, or a plain object such as `Metadata.getMap()` gives
   * (strings; Buffers for `-bin` keys; an array repeats the key).
   */
  metadata?: Metadata | Readonly<Record<string, MetadataValue | readonly MetadataValue[]>>;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Affinity key for sticky balancers (`maglev` / `ring-hash`), e.g. a user id. */
  key?: string;
}

// Read structurally, so both grpc-js definitions and proto-loader's generated ones (whose
// responses are the `__Output` types) give the client the right request and response types.
type RequestOf<M> = M extends { requestSerialize: (value: infer Request) => Buffer } ? Request : never;
type ResponseOf<M> = M extends { responseDeserialize: (bytes: Buffer) => infer Response } ? Response : never;

/** The client's own members: an RPC whose camelCased name is one of them keeps its proto name. */
export type GrpcClientMemberName = 'close' | 'stream' | 'openChannels' | 'toString';

/** An RPC's name on the client: camelCased, unless that is one of the client's own members. */
type ClientMethodName<K> =
  Uncapitalize<K & string> extends GrpcClientMemberName ? K & string : Uncapitalize<K & string>;

/**
 * Promise-returning methods for every method of a service definition, camelCased (`GetProduct` →
 * `getProduct`). An RPC named like one of the client's own members (`Close`, `Stream`,
 * `OpenChannels`, `ToString`) keeps its proto name (`client.Close(…)`), so neither hides the other.
 */
export type GrpcClient<D extends ServiceDefinition> = {
  [K in keyof D as ClientMethodName<K>]: (
    request: RequestOf<D[K]>,
    options?: GrpcCallOptions,
  ) => Promise<ResponseOf<D[K]>>;
} & {
  /** Server-streaming methods: an async iterable of responses. Retried only before the first message. */
  readonly stream: {
    [K in keyof D as ClientMethodName<K>]: (
      request: RequestOf<D[K]>,
      options?: GrpcCallOptions,
    ) => AsyncIterable<ResponseOf<D[K]>>;
  };
  /** Closes every channel. Calls made afterwards fail with UNAVAILABLE. */
  close(): Promise<void>;
  /** Channels open now (instances with a pool × pool size), for metrics and leak checks. */
  openChannels(): number;
  toString(): string;
};
