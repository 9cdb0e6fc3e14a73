import type { Attributes, Context } from '@opentelemetry/api';

/** Describes one RPC (gRPC call or HTTP request) for {@link startClientAttemptSpan} / {@link startServerSpan}. */
export interface RpcSpanOptions {
  /** The protocol: decides the span name and which semantic conventions apply. */
  system: 'grpc' | 'http';
  /**
   * gRPC: the full service name, package included (`shop.catalog.v1.CatalogService`).
   * HTTP: the Switchyard name of the service called (`catalog`), recorded as `service.peer.name`
   * on client spans.
   */
  service: string;
  /** gRPC: the method (`GetProduct`). HTTP: the request method (`GET`). */
  method: string;
  /**
   * Client: the host called (`10.0.0.7`, `catalog.shop.svc`). Server: its own listening host.
   * @default unset (not recorded)
   */
  serverAddress?: string;
  /** The port that goes with {@link RpcSpanOptions.serverAddress}. @default unset (not recorded) */
  serverPort?: number;
  /** Client only: 1 for the first physical attempt, 2 for the first retry, … @default 1 */
  attempt?: number;
  /** Parent context. Client: @default the active context. Server: the one {@link extractTraceContext} returned. */
  parent?: Context;
  /**
   * HTTP only. Client: the full URL (`url.full`). Server: the request target, `/path?query`.
   * Recorded with credentials and signed-URL query values (`sig`, `Signature`, …) as `REDACTED`.
   * @default unset (not recorded)
   */
  url?: string;
  /**
   * HTTP server only: the matched route template (`/products/:id`), used in the span name.
   * @default unset: no `http.route`, and the span is named by the method alone
   */
  route?: string;
  /**
   * HTTP server only: `https` when the request came over TLS (`request.socket.encrypted`). The
   * request target (`/path?query`) names no scheme, so without it `url.scheme` could only default
   * to `http`, wrong on every TLS server.
   */
  scheme?: 'http' | 'https';
  /** More attributes to set at span start (e.g. `network.peer.address`). @default none */
  attributes?: Attributes;
}

/** How an RPC ended, for {@link endRpcSpan}. All fields are optional; give what is known. */
export interface RpcOutcome {
  /** The gRPC status code (0 = OK). */
  grpcStatusCode?: number;
  /** The HTTP response status code. */
  httpStatusCode?: number;
  /** The error the call failed with (thrown, or mapped from the status). */
  error?: unknown;
}
