import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
      expect(result).toMatchObject({
        health: 'NO_PORT',
        latencyMs: null,
        error: `no "${port}" port registered (ports: grpc=1)`,
      });
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
      error: 'no "http" port registered (ports: grpc=1)',
    });
  });

  it('says that the port is no gRPC port when an HTTP/1 server answers (grpc-js said only "Protocol error")', async () => {
    const server = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const result = await checkInstance(
        { ...instance, ports: { http: port } },
        { port: 'http', timeoutMs: 2_000, checkService: '' },
      );
      expect(result.health).toBe('UNAVAILABLE');
      expect(result.error).toMatch(/Protocol error: the port does not speak gRPC \(HTTP\/2\)/);
      // grpc-js's timestamp is noise in a table cell.
      expect(result.error).not.toMatch(/\d{4}-\d\d-\d\dT/);
    } finally {
      server.close();
    }
  });
});
