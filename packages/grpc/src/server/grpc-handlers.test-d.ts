// Type-level tests, checked by this package's typecheck (`tsc -p packages/grpc` includes src/, the
// build leaves *.test-d.ts out): each `@ts-expect-error` must meet an error, each expectTypeOf hold.
// The definition is generated from protos/switchyard/echo/v1/echo.proto, as a user's would be (see
// test-support/generated/README.md). Nothing here runs: the servers are never started.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { expectTypeOf } from 'vitest';
import type { EchoDefinition } from '../test-support/generated/switchyard/echo/v1/Echo.js';
import type { CountRequest__Output } from '../test-support/generated/switchyard/echo/v1/CountRequest.js';
import type { EchoRequest__Output } from '../test-support/generated/switchyard/echo/v1/EchoRequest.js';
import type { EchoResponse } from '../test-support/generated/switchyard/echo/v1/EchoResponse.js';
import { createGrpcServer, type GrpcServiceBinding } from './create-grpc-server.js';
import type { GrpcHandlers } from './grpc-handlers.js';
import type { GrpcHandlerContext } from './handler-context.js';

declare const Echo: EchoDefinition;
declare const Untyped: ServiceDefinition;

export function typedBindings(): void {
  // Handlers' parameters are typed from the definition: no annotations needed under strict TS. A
  // generated definition does not say which side streams, so inline the request reads as both the
  // message and a stream of them (a handler of any kind fits); GrpcHandlers with names is precise.
  createGrpcServer({
    services: [
      {
        definition: Echo,
        implementation: {
          say: async (request, context) => {
            expectTypeOf(request).toEqualTypeOf<EchoRequest__Output & AsyncIterable<EchoRequest__Output>>();
            expectTypeOf(context).toEqualTypeOf<GrpcHandlerContext>();
            return { message: request.message, servedBy: 'echo-1' };
          },
          async *count({ count }) {
            expectTypeOf(count).toEqualTypeOf<number>();
            for (let index = 1; index <= count; index++) yield { message: String(index) };
          },
        },
      },
    ],
  });

  // A request-streaming handler fits a generated definition's binding as it is, no cast.
  createGrpcServer({
    services: [
      {
        definition: Echo,
        implementation: {
          async say(requests: AsyncIterable<EchoRequest__Output>) {
            const words: string[] = [];
            for await (const { message } of requests) words.push(message);
            return { message: words.join(' ') };
          },
          count: ({ count }) => [{ message: String(count) }],
        },
      },
    ],
  });

  createGrpcServer({
    services: [
      {
        definition: Echo,
        implementation: {
          say: ({ message }) => ({ message }),
          count: ({ count }) => [{ message: String(count) }],
          // @ts-expect-error a misspelt handler is a compile error, not a failure at start
          sya: async () => ({}),
        },
      },
    ],
  });

  createGrpcServer({
    services: [
      {
        definition: Echo,
        // @ts-expect-error every method needs its handler (`count` is missing)
        implementation: { say: ({ message }) => ({ message }) },
      },
    ],
  });

  createGrpcServer({
    services: [
      {
        definition: Echo,
        implementation: {
          // @ts-expect-error the reply must be the method's response message
          say: async ({ message }) => ({ mesage: message }),
          count: () => [],
        },
      },
    ],
  });
}

export function looseBindings(bindings: GrpcServiceBinding[]): void {
  // An untyped definition (loadService() without a type argument) takes any handlers, checked at
  // start; typed and untyped bindings mix, each checked against its own definition.
  createGrpcServer({
    services: [
      { definition: Untyped, implementation: { anything: async (request: { id: string }) => request } },
      {
        definition: Echo,
        implementation: {
          say: ({ message }) => ({ message }),
          // @ts-expect-error the typed binding beside it is still checked
          count: ({ cuont }) => [{ message: String(cuont) }],
        },
      },
    ],
  });
  // Bindings built elsewhere, typed or not, still fit the unparameterised binding type.
  const typed: GrpcServiceBinding<EchoDefinition> = {
    definition: Echo,
    implementation: { say: ({ message }) => ({ message }), count: () => [] },
  };
  createGrpcServer({ services: [typed, ...bindings] });
  const stored: GrpcServiceBinding[] = [typed];
  createGrpcServer({ services: stored });
}

export function classBindings(): void {
  // Handlers as a class (methods on the prototype, dependencies in fields) fit a typed binding and
  // an untyped one; the server reads the methods through the prototype, bound to the instance.
  class EchoHandlers implements GrpcHandlers<EchoDefinition, 'Count'> {
    constructor(private readonly servedBy: string) {}
    say({ message }: EchoRequest__Output) {
      return { message, servedBy: this.servedBy };
    }
    *count({ count }: CountRequest__Output) {
      yield { message: String(count), servedBy: this.servedBy };
    }
  }
  createGrpcServer({
    services: [
      { definition: Echo, implementation: new EchoHandlers('echo-1') },
      { definition: Untyped, implementation: new EchoHandlers('echo-2') },
    ],
  });
}

export async function handlerTypes(): Promise<void> {
  // Generated definitions do not say which methods stream: each handler may be either...
  expectTypeOf<ReturnType<GrpcHandlers<EchoDefinition>['say']>>().toEqualTypeOf<
    Promise<EchoResponse> | EchoResponse | AsyncIterable<EchoResponse> | Iterable<EchoResponse>
  >();
  // ...unless the streaming methods are named: the others are then unary.
  type Named = GrpcHandlers<EchoDefinition, 'Count'>;
  expectTypeOf<ReturnType<Named['say']>>().toEqualTypeOf<Promise<EchoResponse> | EchoResponse>();
  expectTypeOf<ReturnType<Named['count']>>().toEqualTypeOf<AsyncIterable<EchoResponse> | Iterable<EchoResponse>>();
  expectTypeOf<GrpcHandlers<EchoDefinition, 'count'>>().toEqualTypeOf<Named>();
  const named: Named = {
    say: async ({ message }) => ({ message }),
    // @ts-expect-error a unary reply is not a stream
    count: async () => ({ message: 'one' }),
  };
  const { message } = await named.say({ message: 'hi', delayMs: 0, failWithCode: 0 }, {} as GrpcHandlerContext);
  expectTypeOf(message).toEqualTypeOf<string | undefined>();

  // Requests stream only for the methods named third (generated definitions do not say either).
  type Streams = GrpcHandlers<EchoDefinition, 'Count', 'count'>;
  expectTypeOf<Parameters<Streams['count']>[0]>().toEqualTypeOf<AsyncIterable<CountRequest__Output>>();
  expectTypeOf<ReturnType<Streams['count']>>().toEqualTypeOf<AsyncIterable<EchoResponse> | Iterable<EchoResponse>>();
  expectTypeOf<Parameters<Streams['say']>[0]>().toEqualTypeOf<EchoRequest__Output>();
  type Collects = GrpcHandlers<EchoDefinition, never, 'Say'>;
  expectTypeOf<Parameters<Collects['say']>[0]>().toEqualTypeOf<AsyncIterable<EchoRequest__Output>>();
  expectTypeOf<ReturnType<Collects['say']>>().toEqualTypeOf<Promise<EchoResponse> | EchoResponse>();

  // A definition that says which methods stream (`responseStream`, `requestStream`) is followed.
  type Echoed = { message: string };
  type Written = {
    Say: MethodDefinition<Echoed, Echoed> & { responseStream: false; requestStream: false };
    Watch: MethodDefinition<Echoed, Echoed> & { responseStream: true; requestStream: false };
    Upload: MethodDefinition<Echoed, Echoed> & { responseStream: false; requestStream: true };
    Chat: MethodDefinition<Echoed, Echoed> & { responseStream: true; requestStream: true };
  };
  expectTypeOf<keyof GrpcHandlers<Written>>().toEqualTypeOf<'say' | 'watch' | 'upload' | 'chat'>();
  expectTypeOf<ReturnType<GrpcHandlers<Written>['say']>>().toEqualTypeOf<Promise<Echoed> | Echoed>();
  expectTypeOf<ReturnType<GrpcHandlers<Written>['watch']>>().toEqualTypeOf<AsyncIterable<Echoed> | Iterable<Echoed>>();
  expectTypeOf<Parameters<GrpcHandlers<Written>['upload']>[0]>().toEqualTypeOf<AsyncIterable<Echoed>>();
  expectTypeOf<ReturnType<GrpcHandlers<Written>['upload']>>().toEqualTypeOf<Promise<Echoed> | Echoed>();
  expectTypeOf<Parameters<GrpcHandlers<Written>['chat']>[0]>().toEqualTypeOf<AsyncIterable<Echoed>>();
  expectTypeOf<ReturnType<GrpcHandlers<Written>['chat']>>().toEqualTypeOf<AsyncIterable<Echoed> | Iterable<Echoed>>();
  const written: GrpcHandlers<Written> = {
    say: ({ message }) => ({ message }),
    *watch({ message }) {
      yield { message };
    },
    async upload(requests) {
      const parts: string[] = [];
      for await (const { message } of requests) parts.push(message);
      return { message: parts.join(' ') };
    },
    async *chat(requests) {
      for await (const { message } of requests) yield { message: message.toUpperCase() };
    },
  };
  expectTypeOf(written).toEqualTypeOf<GrpcHandlers<Written>>();
}
