/**
 * Server child of `pnpm bench:grpc`: a plain grpc-js server (no Switchyard code) with the Echo service
 * on 127.0.0.1, an ephemeral port. Every subject calls the same server process, so only the client
 * differs; the `otel-instrumented` subject calls a second one started with `otel-preload.js`.
 */
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { serveServer } from '../transport/server-runtime.js';
import { type EchoRequest, type EchoResponse, loadEcho } from './echo.js';
import { benchTracing } from '../transport/bench-tracing.js';

const SERVED_BY = `bench-grpc-server-${process.pid}`;

serveServer(async () => {
  const server = new Server();
  server.addService(loadEcho(), {
    Say: (call: ServerUnaryCall<EchoRequest, EchoResponse>, callback: sendUnaryData<EchoResponse>) => {
      callback(null, { message: call.request.message, servedBy: SERVED_BY, remainingMs: 0, traceId: '' });
    },
    Count: (call: ServerWritableStream<unknown, EchoResponse>) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  // The instrumented twin (started with otel-preload.js) traces what it serves.
  const otelService = process.env.BENCH_OTEL_SERVICE;
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      // The instrumented server exports its last spans.
      if (otelService) await benchTracing(otelService).shutdown();
    },
    // Each run's last spans are exported before its server CPU is read (see BenchServer.flush).
    ...(otelService ? { flush: () => benchTracing(otelService).forceFlush() } : {}),
  };
});
