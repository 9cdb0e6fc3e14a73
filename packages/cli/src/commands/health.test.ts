import type { ServiceInstance } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { checkInstance } from './health.js';

const instance: ServiceInstance = {
  id: 'a-1',
  service: 'alpha',
  host: '127.0.0.1',
  ports: { grpc: 1 },
  weight: 100,
  metadata: {},
  status: 'up',
};

describe('checkInstance', () => {
  it.each(['constructor', 'toString', '__proto__'])(
    'reports NO_PORT for --port %s, a name the instance has no port under (not an inherited property)',
    async (port) => {
      const result = await checkInstance(instance, { port, timeoutMs: 200, checkService: '' });
      expect(result).toMatchObject({ health: 'NO_PORT', latencyMs: null, error: `no "${port}" port registered` });
    },
  );

  it('gives every key of the --json result, with address null when there is no port', async () => {
    const result = await checkInstance(instance, { port: 'http', timeoutMs: 200, checkService: '' });
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      id: 'a-1',
      address: null,
      registryStatus: 'up',
      health: 'NO_PORT',
      latencyMs: null,
      error: 'no "http" port registered',
    });
  });
});
