import { fileURLToPath } from 'node:url';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { loadService } from '@switchyard/grpc';

/** `switchyard.echo.v1.EchoRequest` as proto-loader gives it (camelCase fields, defaults filled). */
export interface EchoRequest {
  message: string;
  delayMs?: number;
  failWithCode?: number;
}

/** `switchyard.echo.v1.EchoResponse`. */
export interface EchoResponse {
  message: string;
  servedBy: string;
  remainingMs: number;
  traceId: string;
}

/** The Echo service (protos/switchyard/echo/v1/echo.proto). */
export interface EchoDefinition extends ServiceDefinition {
  Say: MethodDefinition<EchoRequest, EchoResponse>;
  Count: MethodDefinition<{ count: number; intervalMs: number }, EchoResponse>;
}

/** The repository's `protos/` folder, from this bundle's place (`packages/bench/dist/grpc/`). */
const PROTOS = fileURLToPath(new URL('../../../../protos', import.meta.url));

/** Loads the Echo service with `loadService` from @switchyard/grpc (proto-loader, Switchyard's options). */
export function loadEcho(): EchoDefinition {
  return loadService<EchoDefinition>('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
    includeDirs: [PROTOS],
  });
}

/** The request every subject sends. */
export const ECHO_REQUEST: EchoRequest = Object.freeze({ message: 'hello from pnpm bench:grpc' });
