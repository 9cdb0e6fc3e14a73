// Type-level tests, checked by this package's typecheck (`tsc -p packages/grpc` includes src/, the
// build leaves *.test-d.ts out): each `@ts-expect-error` must meet an error, each expectTypeOf hold.
// The definition is generated from protos/switchyard/echo/v1/echo.proto, as a user's would be (see
// test-support/generated/README.md).
import type { ServiceDefinition } from '@grpc/grpc-js';
import { expectTypeOf } from 'vitest';
import type { EchoDefinition } from '../test-support/generated/switchyard/echo/v1/Echo.js';
import type { EchoResponse__Output } from '../test-support/generated/switchyard/echo/v1/EchoResponse.js';
import type { GrpcCallOptions, GrpcClient } from './grpc-client-types.js';

declare const echo: GrpcClient<EchoDefinition>;

export async function typedDefinition(): Promise<void> {
  // A declared method is typed from the definition: its request and its (`__Output`) response.
  expectTypeOf(echo.say).parameter(0).toHaveProperty('message');
  expectTypeOf(echo.say({ message: 'hi' })).resolves.toEqualTypeOf<EchoResponse__Output>();
  expectTypeOf(echo.stream.count).returns.toEqualTypeOf<AsyncIterable<EchoResponse__Output>>();
  // @ts-expect-error a wrong field type is a compile error
  await echo.say({ message: 42 });

  // A misspelt method is a compile error, not `(any) => Promise<any>`. (The `!` keeps
  // noUncheckedIndexedAccess's "possibly undefined" from meeting the expected error instead.)
  // @ts-expect-error no method `sya`
  await echo.sya!({ message: 'hi' });
  // @ts-expect-error the proto name is not a client method either (camelCased: `say`)
  await echo.Say!({ message: 'hi' });
  // @ts-expect-error nor is a misspelt server-streaming method
  echo.stream.cuont!({ count: 1 });
  expectTypeOf<'sya' extends keyof typeof echo ? true : false>().toEqualTypeOf<false>();

  // The declared methods and the client's own members are all there is.
  expectTypeOf<keyof typeof echo>().toEqualTypeOf<
    'say' | 'count' | 'stream' | 'clientStream' | 'bidiStream' | 'close' | 'openChannels' | 'toString'
  >();
  expectTypeOf<keyof typeof echo.stream>().toEqualTypeOf<'say' | 'count'>();

  // Request-streaming calls take an array or an (async) iterable of requests.
  expectTypeOf(echo.clientStream.say([{ message: 'a' }])).resolves.toEqualTypeOf<EchoResponse__Output>();
  async function* typed() {
    yield { message: 'a' };
  }
  expectTypeOf(echo.bidiStream.say(typed())).toEqualTypeOf<AsyncIterable<EchoResponse__Output>>();
  // @ts-expect-error each request is typed too
  await echo.clientStream.say([{ message: 42 }]);
  // @ts-expect-error a single request is not a stream of them
  await echo.clientStream.say({ message: 'a' });
}

declare const untyped: GrpcClient<ServiceDefinition>;

export async function untypedDefinition(): Promise<void> {
  // loadService() without a type argument: any name is a method (checked when called; an index
  // signature's member, so `| undefined` under noUncheckedIndexedAccess).
  type AnyMethod = NonNullable<typeof untyped.anyMethodAtAll>;
  expectTypeOf<AnyMethod>().toBeFunction();
  expectTypeOf<AnyMethod>().parameter(1).toEqualTypeOf<GrpcCallOptions | undefined>();
  await untyped.getProduct?.({ id: 'sku-1' });
  const stream = untyped.stream.watchAnything;
  if (stream) for await (const item of stream({})) void item;
}
