/**
 * Preloaded (`node --import`) into the processes of the `otel-instrumented` subject, client and server:
 * enables `@opentelemetry/instrumentation-grpc` and only then loads @grpc/grpc-js, through `require`,
 * so require-in-the-middle patches it (`Client.prototype.makeUnaryRequest`, `Server.prototype.register`,
 * …). The process's own ESM `import` of @grpc/grpc-js then gets that same, patched, CommonJS module.
 * Tracing: `initTracing` with the OTLP exporter to the parent's sink, 100 % sampled, batched, under
 * the service name in `BENCH_OTEL_SERVICE`.
 */
import { createRequire } from 'node:module';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { benchTracing } from '../transport/bench-tracing.js';

const instrumentation = new GrpcInstrumentation();
instrumentation.enable();
createRequire(import.meta.url)('@grpc/grpc-js');
benchTracing(process.env.BENCH_OTEL_SERVICE ?? 'bench-grpc-otel');
