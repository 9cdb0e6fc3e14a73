/**
 * grpc-js's logger is one per process: with several services in one process, its logs go to a
 * service still running, and grpc-js's own default comes back once the last one has stopped.
 */
// grpc-js has one logger per process and exports no getter for it but from this module: what it
// logs through now is what a grpc-js log line would reach.
import { getLogger as currentGrpcLogger } from '@grpc/grpc-js/build/src/logging.js';
import { type Logger, silentLogger } from '@switchyard/core';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startService } from './start-service.js';

const quiet = { handleSignals: false, tracing: false, drainDelayMs: 0 } as const;

/** A logger that keeps the grpc-js lines it is given at debug. */
function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    ...silentLogger,
    lines,
    debug: (fields: unknown, message?: string) => {
      if (message === 'grpc-js') lines.push(String((fields as { grpc: string }).grpc));
    },
  } as Logger & { lines: string[] };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('grpc-js logs in a process that runs several services', () => {
  it('go to a service still running, and back to grpc-js’s default when the last one stops', async () => {
    const registry = new MemoryRegistry();
    const first = recording();
    const second = recording();
    const start = (name: string, logger: Logger) =>
      startService({ name, registry, http: { port: 0, host: '127.0.0.1' }, logger, ...quiet });
    const a = await start('first', first);
    const b = await start('second', second);
    currentGrpcLogger().error?.('while both run');
    expect([...first.lines, ...second.lines]).toEqual(['while both run']);
    await b.stop();
    currentGrpcLogger().error?.('after the second stopped');
    // It went to the stopped service's logger (the last one started): lost, or logged as that
    // service's after it had logged "stopped".
    expect(first.lines).toContain('after the second stopped');
    expect(second.lines).not.toContain('after the second stopped');
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await a.stop();
    currentGrpcLogger().error?.('after both stopped');
    // grpc-js's default again (`E <message>` on stderr), not the logger of a service long gone.
    expect(first.lines).not.toContain('after both stopped');
    expect(stderr).toHaveBeenCalledWith('E after both stopped');
    await registry.close();
  });

  it('stops routing to a service whose start failed', async () => {
    const registry = new MemoryRegistry();
    const running = recording();
    const failed = recording();
    const a = await startService({
      name: 'running',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      logger: running,
      ...quiet,
    });
    // Its HTTP port is the running one's: the start fails once its logger has been routed to.
    await expect(
      startService({
        name: 'failed',
        registry,
        http: { port: a.httpPort, host: '127.0.0.1' },
        logger: failed,
        ...quiet,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'http.port' });
    currentGrpcLogger().error?.('after the failed start');
    expect(running.lines).toContain('after the failed start');
    expect(failed.lines).toEqual([]);
    await a.stop();
    await registry.close();
  });
});
