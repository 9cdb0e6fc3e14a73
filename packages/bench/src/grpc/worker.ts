/**
 * Client worker of `pnpm bench:grpc`: one subject per process, so its hot path is compiled for it alone
 * and its CPU time is its own. The `otel-instrumented` worker starts with `--import otel-preload.js`.
 */
import { serveWorker } from '../transport/worker-runtime.js';
import { createGrpcSubject } from './subjects.js';

serveWorker(createGrpcSubject);
