/** The echo service (protos/switchyard/echo/v1/echo.proto) that the fixture serves and the scenarios call. */
import { fileURLToPath } from 'node:url';
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadService } from '@switchyard/grpc';

const protosDir = fileURLToPath(new URL('../../../../protos', import.meta.url));

export interface EchoRequest {
  message?: string;
  delayMs?: number;
  failWithCode?: number;
}

export interface EchoReply {
  message: string;
  servedBy: string;
  remainingMs: number;
  traceId: string;
}

export type EchoDefinition = {
  Say: MethodDefinition<EchoRequest, EchoReply>;
  Count: MethodDefinition<{ count?: number; intervalMs?: number }, EchoReply>;
};

export const EchoService = loadService<EchoDefinition>('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [protosDir],
});
