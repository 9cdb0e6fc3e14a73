import { EventEmitter } from 'node:events';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { HealthStatus } from './health-service.js';

/** A Watch call as grpc-js hands it to the handler: the request, write(), and its events. */
function watchCall(service: string) {
  const written: unknown[] = [];
  const call = Object.assign(new EventEmitter(), {
    request: { service },
    write: (message: unknown) => written.push(message),
    end: () => {},
  });
  return { call: call as unknown as ServerWritableStream<{ service: string }, unknown>, written, emitter: call };
}

describe('HealthStatus Watch', () => {
  it('sends the current status and every change, and keeps nothing for a name once its watchers are gone', () => {
    const health = new HealthStatus();
    health.set('', 'SERVING');
    const watched = watchCall('');
    health.handlers().Watch(watched.call);
    health.set('', 'NOT_SERVING');
    expect(watched.written).toEqual([{ status: 'SERVING' }, { status: 'NOT_SERVING' }]);
    // Any client may watch any name: 1,000 names asked about and cancelled used to stay as entries.
    for (let i = 0; i < 1_000; i++) {
      const probe = watchCall(`svc-${i}`);
      health.handlers().Watch(probe.call);
      probe.emitter.emit('cancelled');
    }
    watched.emitter.emit('cancelled');
    expect((health as unknown as { watchers: Map<string, unknown> }).watchers.size).toBe(0);
  });
});
