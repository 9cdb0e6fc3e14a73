import type { Server } from 'node:net';
import type { Logger } from '../logger/logger.js';

/** How often a run of accept failures is logged again, at most. */
const LOG_EVERY_MS = 10_000;

/**
 * Keeps a listening server alive through accept failures, logging them: out of file descriptors
 * (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM) under a burst of connections, Node emits 'error' on
 * the server, and with no listener that ended the process, every call in flight with it. The
 * connections that could not be accepted are refused (libuv closes them); the server goes on
 * serving the ones it holds and accepts again once descriptors free up. A storm is logged once,
 * then at most every 10 s with the count in between.
 */
export function logAcceptErrors(server: Server, logger: Logger, what: string): void {
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  server.on('error', (error: NodeJS.ErrnoException) => {
    const now = Date.now();
    if (now - lastLoggedAt < LOG_EVERY_MS) {
      unlogged++;
      return;
    }
    logger.error(
      { err: error, ...(unlogged > 0 ? { failuresSinceLastLog: unlogged } : {}) },
      `${what}: could not accept a connection (${error.code ?? error.message}); still serving`,
    );
    lastLoggedAt = now;
    unlogged = 0;
  });
}
