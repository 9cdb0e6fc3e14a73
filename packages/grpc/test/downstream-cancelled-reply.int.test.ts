/**
 * A handler whose downstream call was cancelled by the downstream's side (a plain grpc-js server
 * whose forceShutdown() reset the calls it still had: a Switchyard server answers them UNAVAILABLE,
 * see shutdown-unavailable.int.test.ts), while the handler's own call is live: the
 * handler passes the CancelledError on. The reply's details were the error's message, which names
 * the downstream's method (`switchyard.echo.v1.Echo/Say: cancelled`, an internal name, as a relayed
 * downstream error's message is never sent), and nothing was logged: the server's own failure went
 * unseen. The reply stays CANCELLED (what gRPC propagates, and what a caller may list in
 * retryableStatuses), its details the code in words, and the failure is logged at warn.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discoveredAt, EchoService, type EchoSayClient } from './fixtures/echo.js';
import { recordingLogger } from './fixtures/recording-logger.js';

const cleanups = cleanupsAfterEach();

describe('a downstream call cancelled by the downstream, passed on while the call is live', () => {
  it('replies CANCELLED without naming the downstream, and is logged at warn', async () => {
    // The downstream, a plain grpc-js server, answers nothing.
    const downstream = new grpc.Server();
    downstream.addService(EchoService, { Say: () => {} });
    const downstreamPort = await new Promise<number>((resolve, reject) =>
      downstream.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    cleanups.push(() => downstream.forceShutdown());
    const discovery = await discoveredAt(downstreamPort, cleanups);
    const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as EchoSayClient;
    cleanups.push(() => echo.close());

    const { logger, logged } = recordingLogger();
    const front = createGrpcServer({
      logger,
      services: [{ definition: EchoService, implementation: { say: () => echo.say({ message: 'x' }) } }],
    });
    const port = await front.listen(0, '127.0.0.1');
    cleanups.push(() => front.shutdown(100));
    const plain = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => plain.close());
    const say = EchoService.Say as unknown as grpc.MethodDefinition<object, object>;
    const failure = new Promise<grpc.ServiceError>((resolve) => {
      plain.makeUnaryRequest(say.path, say.requestSerialize, say.responseDeserialize, {}, (error) =>
        resolve(error as grpc.ServiceError),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    downstream.forceShutdown(); // resets the front's call to it: CANCELLED

    const error = await failure;
    // Before the fix: details 'switchyard.echo.v1.Echo/Say: cancelled', and nothing logged.
    expect({ code: error.code, details: error.details }).toEqual({ code: grpc.status.CANCELLED, details: 'cancelled' });
    expect(logged).toEqual(['switchyard grpc: handler failed']);
  });
});
