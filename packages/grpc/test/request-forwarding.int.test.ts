/**
 * A request decoded by loadService's own options (oneofs: true) carries the virtual oneof properties
 * (`target: 'sku'`, and `_note: 'note'` for a proto3 `optional`). Forwarding it (a gateway, a handler
 * passing its request on) works, as with plain grpc-js; IEEE 754 specials are valid doubles.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, loadService } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterAll, afterEach, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-grpc-forwarding-'));
writeFileSync(
  join(dir, 'fwd.proto'),
  `syntax = "proto3";
package zz.v1;
message Req {
  string id = 1;
  optional string note = 2;
  oneof target { string sku = 3; string slug = 4; }
  double score = 5;
}
message Res { string echoed = 1; }
service Fwd { rpc Do(Req) returns (Res); }
`,
);
const Fwd = loadService('fwd.proto', 'zz.v1.Fwd', { includeDirs: [dir] });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type FwdClient = { do(r: object, o?: object): Promise<{ echoed: string }>; close(): Promise<void> };

async function setup(registry: MemoryRegistry, service: string, implementation: Record<string, unknown>) {
  const server = createGrpcServer({ services: [{ definition: Fwd, implementation }] });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  await registry.register({ service, host: '127.0.0.1', ports: { grpc: port } });
  const discovery = createDiscovery({ registry, service });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const client = createGrpcClient({ definition: Fwd, discovery }) as unknown as FwdClient;
  cleanups.push(() => client.close());
  return client;
}

it('forwards a request it received (with its oneof and optional markers) to a downstream', async () => {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const backend = await setup(registry, 'backend', {
    do: async (request: { id: string; sku?: string; note?: string }) => ({
      echoed: `${request.id}/${request.sku}/${request.note}`,
    }),
  });
  // A gateway that passes its request on unchanged.
  const gateway = await setup(registry, 'gateway', { do: async (request: object) => backend.do(request) });
  await expect(gateway.do({ id: 'a', sku: 's', note: 'n' }, { deadlineMs: 2_000 })).resolves.toEqual({
    echoed: 'a/s/n',
  });
});

it('sends a decoded request object again (the shape proto-loader decodes to)', async () => {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const client = await setup(registry, 'backend', { do: async (request: { id: string }) => ({ echoed: request.id }) });
  const decoded = Fwd.Do!.requestDeserialize(Fwd.Do!.requestSerialize({ id: 'a', sku: 's' })) as object;
  expect(decoded).toHaveProperty('target', 'sku');
  await expect(client.do(decoded, { deadlineMs: 2_000 })).resolves.toEqual({ echoed: 'a' });
});

it('accepts IEEE 754 specials in a double field, which protobuf encodes', async () => {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const client = await setup(registry, 'backend', {
    do: async (request: { score: number }) => ({ echoed: String(request.score) }),
  });
  await expect(client.do({ id: 'a', score: Number.POSITIVE_INFINITY }, { deadlineMs: 2_000 })).resolves.toEqual({
    echoed: 'Infinity',
  });
  await expect(client.do({ id: 'a', score: Number.NaN }, { deadlineMs: 2_000 })).resolves.toEqual({ echoed: 'NaN' });
});

it('still refuses a oneof name that does not carry a field name', async () => {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const client = await setup(registry, 'backend', { do: async () => ({ echoed: 'never' }) });
  await expect(client.do({ id: 'a', target: 5 }, { deadlineMs: 2_000 })).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    field: 'request.target',
  });
  await expect(client.do({ id: 'a', tagret: 'sku' }, { deadlineMs: 2_000 })).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    field: 'request.tagret',
  });
});
