import type { Attributes, Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from './attribute-names.js';
import { grpcStatusName } from './grpc-status.js';
import type { RpcSpanOptions } from './rpc-span-options.js';
import type { SemconvMode } from './semconv-stability.js';

/** `service/method`, the gRPC span name (the full method name without its leading slash). */
export function grpcSpanName(options: RpcSpanOptions): string {
  return `${options.service}/${options.method}`;
}

/**
 * Start attributes of a gRPC span. `old` (v1.37): `rpc.system`, `rpc.service`, `rpc.method` =
 * the method alone. `stable`: `rpc.system.name`, `rpc.method` = `service/method`. `dup`: both sets;
 * `rpc.method`, being the same key, takes the stable (fully-qualified) value.
 */
export function grpcStartAttributes(options: RpcSpanOptions, mode: SemconvMode): Attributes {
  const attributes: Attributes = {};
  if (mode !== 'stable') {
    attributes[ATTR_RPC_SYSTEM] = 'grpc';
    attributes[ATTR_RPC_SERVICE] = options.service;
    attributes[ATTR_RPC_METHOD] = options.method;
  }
  if (mode !== 'old') {
    attributes[ATTR_RPC_SYSTEM_NAME] = 'grpc';
    attributes[ATTR_RPC_METHOD] = grpcSpanName(options);
  }
  if (options.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = options.serverAddress;
  if (options.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = options.serverPort;
  return attributes;
}

/** End attributes for a gRPC status: `rpc.grpc.status_code` (old, a number), `rpc.status_code` (stable, a name). */
export function setGrpcStatusAttributes(span: Span, code: number, mode: SemconvMode, isError: boolean): void {
  if (mode !== 'stable') span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, code);
  if (mode !== 'old') {
    const name = grpcStatusName(code);
    span.setAttribute(ATTR_RPC_STATUS_CODE, name);
    if (isError) span.setAttribute(ATTR_ERROR_TYPE, name);
  }
}
