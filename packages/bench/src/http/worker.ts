/**
 * Client worker of `pnpm bench:http`: one subject per process, so its hot path is compiled for it alone
 * and its CPU time is its own.
 */
import { serveWorker } from '../transport/worker-runtime.js';
import { createHttpSubject } from './subjects.js';

serveWorker(createHttpSubject);
