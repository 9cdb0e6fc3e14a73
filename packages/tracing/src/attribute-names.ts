/**
 * Attribute names this package writes. Stable names come from @opentelemetry/semantic-conventions
 * (pinned); deprecated and incubating names are copied here, as that package's README advises,
 * because its `incubating` entry point may change them in any minor release.
 */
export {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';

// RPC conventions up to v1.37.0, what @opentelemetry/instrumentation-grpc emits.
/** `rpc.system`: the RPC system (old RPC conventions; stable: `rpc.system.name`). */
export const ATTR_RPC_SYSTEM = 'rpc.system';
/** `rpc.service`: the full service name (old RPC conventions; stable: part of `rpc.method`). */
export const ATTR_RPC_SERVICE = 'rpc.service';
/** `rpc.grpc.status_code`: the numeric gRPC status (old RPC conventions; stable: `rpc.status_code`). */
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';

// HTTP conventions before v1.21 (what OTel JS HTTP instrumentations emit without opt-in).
/** `http.method` (old HTTP conventions; stable: `http.request.method`). */
export const ATTR_HTTP_METHOD = 'http.method';
/** `http.url` (old HTTP conventions; stable: `url.full`). */
export const ATTR_HTTP_URL = 'http.url';
/** `http.target` (old HTTP conventions; stable: `url.path` and `url.query`). */
export const ATTR_HTTP_TARGET = 'http.target';
/** `http.scheme` (old HTTP conventions; stable: `url.scheme`). */
export const ATTR_HTTP_SCHEME = 'http.scheme';
/** `http.status_code` (old HTTP conventions; stable: `http.response.status_code`). */
export const ATTR_HTTP_STATUS_CODE = 'http.status_code';
/** `net.peer.name` (old HTTP conventions, client; stable: `server.address`). */
export const ATTR_NET_PEER_NAME = 'net.peer.name';
/** `net.peer.port` (old HTTP conventions, client; stable: `server.port`). */
export const ATTR_NET_PEER_PORT = 'net.peer.port';
/** `net.host.name` (old HTTP conventions, server; stable: `server.address`). */
export const ATTR_NET_HOST_NAME = 'net.host.name';
/** `net.host.port` (old HTTP conventions, server; stable: `server.port`). */
export const ATTR_NET_HOST_PORT = 'net.host.port';

// Incubating (development status) in semantic conventions 1.45.
/** `service.peer.name`: the `service.name` of the remote service (development status). */
export const ATTR_SERVICE_PEER_NAME = 'service.peer.name';

/**
 * The physical attempt number (1, 2, …) on every client span from {@link startClientAttemptSpan}.
 * Switchyard's own namespace: OpenTelemetry defines no RPC attempt attribute, and `rpc.*` belongs
 * to OpenTelemetry. HTTP spans also carry the standard `http.request.resend_count` (attempt − 1).
 */
export const ATTR_SWITCHYARD_ATTEMPT = 'switchyard.attempt';
