/**
 * `switchyard call`'s request flags against a real Redis and real gRPC servers, run in-process:
 * what the server receives for repeated and binary `-H` headers, and the instance `--key` reaches.
 */
import { type Metadata, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { EchoService, type EchoInstance, startEcho, callSay } from './fixtures/echo-fleet.js';

let redis: RedisServerHandle;
let registry: Registry;
let metadataServer: Server | undefined;
const received: Metadata[] = [];
const echoes: EchoInstance[] = [];

/** Runs the CLI in-process against the test Redis. */
const run = (argv: string[]) => runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url });

const say = (service: string) => callSay(service);

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  // A bare grpc-js server that keeps the metadata of every call it receives.
  metadataServer = new Server();
  metadataServer.addService(EchoService, {
    Say: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      received.push(call.metadata);
      callback(null, { message: 'ok', servedBy: 'meta-1' });
    },
    Count: (call: { end(): void }) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    metadataServer?.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  await registry.register({ id: 'meta-1', service: 'meta', host: '127.0.0.1', ports: { grpc: port } });
  for (const id of ['sticky-a', 'sticky-b', 'sticky-c', 'sticky-d']) {
    echoes.push(await startEcho(registry, { id, service: 'sticky' }));
  }
}, 120_000);

afterAll(async () => {
  for (const echo of echoes) await echo.stop();
  metadataServer?.forceShutdown();
  await registry?.close();
  await redis?.stop();
});

describe('switchyard call request flags', { timeout: 60_000 }, () => {
  it('sends every value of a repeated -H header, not only the last', async () => {
    const result = await run([...say('meta'), '-H', 'x-tag: a', '-H', 'X-Tag: b', '-H', 'x-other: c']);
    expect(result.code, result.stderr).toBe(0);
    const metadata = received.at(-1) as Metadata;
    // Node's HTTP/2 joins the values of a repeated header as `a, b` on the receiving side.
    expect(metadata.get('x-tag').join(', ')).toBe('a, b');
    expect(metadata.get('x-other')).toEqual(['c']);
  });

  it('sends a -bin header as the bytes its base64 value encodes (as grpcurl does), and refuses one that is not base64', async () => {
    const result = await run([...say('meta'), '-H', 'trace-bin: AAEC/w==', '-H', 'trace-bin: aGk']);
    expect(result.code, result.stderr).toBe(0);
    const values = (received.at(-1) as Metadata).get('trace-bin') as Buffer[];
    expect(values.map((value) => [...value])).toEqual([
      [0, 1, 2, 255],
      [104, 105],
    ]);

    const bad = await run([...say('meta'), '-H', 'trace-bin: not base64!']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^switchyard call: --header trace-bin: .*base64/);
  });

  it('refuses a -H header gRPC writes itself (it was dropped or replaced without a word), naming the flag', async () => {
    const timeoutHeader = await run([...say('meta'), '-H', 'grpc-timeout: 5S']);
    expect(timeoutHeader.code).toBe(2); // was 0: the call ran with the default deadline
    expect(timeoutHeader.stderr).toMatch(/^switchyard call: --header grpc-timeout: .*--deadline-ms/);
    const agent = await run([...say('meta'), '-H', 'User-Agent: probe/1']);
    expect(agent.code).toBe(2);
    expect(agent.stderr).toMatch(/^switchyard call: --header user-agent: cannot be sent as metadata/);
  });

  it('--key routes by maglev: every call with one key reaches the instance a maglev client picks for it', async () => {
    const discovery = createDiscovery({ registry, service: 'sticky', balancer: 'maglev' });
    await discovery.ready({ timeoutMs: 5_000 });
    for (const key of ['user-42', 'user-7']) {
      const lease = discovery.pick({ key });
      const expected = lease.instance.id;
      lease.done({ ok: true, latencyMs: 1 });
      const served = new Set<string>();
      for (let call = 0; call < 6; call++) {
        const result = await run([...say('sticky'), '--key', key, '--json']);
        expect(result.code, result.stderr).toBe(0);
        served.add((JSON.parse(result.stdout) as { response: { servedBy: string } }).response.servedBy);
      }
      expect([...served]).toEqual([expected]);
    }
    await discovery.close();

    const empty = await run([...say('sticky'), '--key', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^switchyard call: --key must not be empty/);
  });
});
