// The README's "Typed clients and servers" example, compiled by this package's typecheck (the
// region between the markers is what the README shows; test/readme.test.ts checks that it does).
// Nothing here runs. The definition's types are generated from protos/ (test-support/generated).
import type { Discovery } from '@switchyard/discovery';
import { expectTypeOf } from 'vitest';
import { createGrpcClient } from './client/create-grpc-client.js';
import { loadService } from './definitions.js';
import { createGrpcServer } from './server/create-grpc-server.js';
import type { GrpcHandlers } from './server/grpc-handlers.js';
import type { EchoDefinition } from './test-support/generated/switchyard/echo/v1/Echo.js';

export async function typedService(discovery: Discovery): Promise<void> {
  // #region typed
  const Echo = loadService<EchoDefinition>('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
    includeDirs: ['protos'],
  });

  // Server: each handler's request and reply are typed from the definition, without annotations.
  // A misspelt handler (`sya`) or a missing one is a compile error.
  const server = createGrpcServer({
    services: [
      {
        definition: Echo,
        implementation: {
          say: async ({ message }) => ({ message, servedBy: 'echo-1' }),
          async *count({ count }) {
            for (let index = 1; index <= count; index++) yield { message: String(index) };
          },
        },
      },
    ],
  });

  // Handlers written on their own: GrpcHandlers<D>, naming the server-streaming methods (generated
  // definitions do not say which they are), so that the others are typed as unary.
  const handlers: GrpcHandlers<EchoDefinition, 'Count'> = {
    say: ({ message }) => ({ message: message.toUpperCase() }),
    *count({ count }) {
      yield* Array.from({ length: count }, (_, index) => ({ message: String(index) }));
    },
  };
  const loud = createGrpcServer({ services: [{ definition: Echo, implementation: handlers }] });

  // Client: only the service's methods; `echo.sya(…)` is a compile error.
  const echo = createGrpcClient({ definition: Echo, discovery });
  const { message, servedBy } = await echo.say({ message: 'hello' });
  // #endregion typed
  expectTypeOf(message).toEqualTypeOf<string>();
  expectTypeOf(servedBy).toEqualTypeOf<string>();
  void server;
  void loud;
}
