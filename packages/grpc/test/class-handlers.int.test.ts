/**
 * Handler objects that are not plain literals of functions: a class instance (`class X implements
 * GrpcHandlers<D>`), its methods on the prototype and its dependencies in fields. The server reads
 * each handler as grpc-js's own addService does, `implementation[name]` (through the prototype
 * chain), and runs it with the implementation as `this`.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, type GrpcServer } from '@switchyard/grpc';
import { expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

const say = EchoService.Say as unknown as grpc.MethodDefinition<object, { message: string }>;

async function callSay(server: GrpcServer, message: string): Promise<{ code?: number; message?: string }> {
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const plain = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => plain.close());
  return new Promise((resolve) => {
    plain.makeUnaryRequest(
      say.path,
      say.requestSerialize,
      say.responseDeserialize,
      { message },
      new grpc.Metadata(),
      { deadline: Date.now() + 2_000 },
      (error, response) => resolve(error ? { code: error.code } : { message: response?.message }),
    );
  });
}

/**
 * Handlers as a class: methods on the prototype (what `class X implements GrpcHandlers<D>` gives),
 * and a dependency injected into a field, which is no handler.
 */
class EchoHandlers {
  constructor(private readonly greetings: { greet(name: string): string }) {}
  async say(request: { message: string }) {
    return { message: this.greetings.greet(request.message) };
  }
  async *count() {
    yield { message: '0' };
  }
}

it("serves a class instance's methods, with the instance as `this` and its fields left alone", async () => {
  const server = createGrpcServer({
    services: [{ definition: EchoService, implementation: new EchoHandlers({ greet: (name) => `hi ${name}` }) }],
  });
  // Before the fix: createGrpcServer threw 'implementation.greetings: is not a method' (and without
  // the field the server started without a word, every call UNIMPLEMENTED: the prototype's methods
  // were never seen).
  expect(await callSay(server, 'a')).toEqual({ message: 'hi a' });
});

it('still refuses an own function whose name is no method (a misspelt handler), naming it', () => {
  const implementation = Object.assign(new EchoHandlers({ greet: (name) => name }), { sai: async () => ({}) });
  // Before the fix: refused for its injected field (`greetings: is not a method`), not for `sai`.
  expect(() => createGrpcServer({ services: [{ definition: EchoService, implementation }] })).toThrow(
    /services\[0\]\.implementation\.sai: is not a method of switchyard\.echo\.v1\.Echo/,
  );
});

it('calls a handler with its implementation as `this`, as grpc-js does', async () => {
  const implementation = {
    async say(this: { count(): AsyncGenerator<{ message: string }> }, request: { message: string }) {
      const first = await this.count().next();
      return { message: `${first.value?.message}:${request.message}` };
    },
    async *count() {
      yield { message: '0' };
    },
  };
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation }] });
  // Before the fix: `this` was undefined in the handler: a TypeError, answered INTERNAL.
  expect(await callSay(server, 'a')).toEqual({ message: '0:a' });
});
