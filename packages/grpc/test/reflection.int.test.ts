/**
 * Server reflection as `grpcurl` uses it: a plain grpc-js client (no Switchyard code) asks the
 * server's grpc.reflection.v1.ServerReflection for its services and for the file that defines one.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createGrpcServer, type GrpcServer } from '@switchyard/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const require = createRequire(import.meta.url);
const reflectionProtos = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');
const ServerReflection = (
  grpc.loadPackageDefinition(loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [reflectionProtos] })) as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  }
).grpc.reflection.v1.ServerReflection;

interface ReflectionReply {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

const servers: GrpcServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.shutdown(0);
});

/** Sends each request on one ServerReflectionInfo stream and collects the replies, in order. */
async function ask(port: number, requests: object[]): Promise<ReflectionReply[]> {
  const client = new ServerReflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const call = client.ServerReflectionInfo!() as grpc.ClientDuplexStream<object, ReflectionReply>;
    const replies: ReflectionReply[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (reply: ReflectionReply) => {
        replies.push(reply);
        if (replies.length === requests.length) call.end();
      });
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (const request of requests) call.write(request);
    await done;
    return replies;
  } finally {
    client.close();
  }
}

describe('server reflection', () => {
  it('lists the services served and describes them, for a client with no .proto files', async () => {
    const server = createGrpcServer({
      services: [{ definition: EchoService, implementation: echoImplementation('r') }],
      reflection: true,
    });
    servers.push(server);
    const port = await server.listen(0, '127.0.0.1');
    const [list, file, missing] = await ask(port, [
      { listServices: '' },
      { fileContainingSymbol: 'switchyard.echo.v1.Echo' },
      { fileContainingSymbol: 'switchyard.echo.v1.Nothing' },
    ]);
    const names = list?.listServicesResponse?.service.map((service) => service.name).sort();
    expect(names).toEqual(['grpc.health.v1.Health', 'switchyard.echo.v1.Echo']);
    const described = file?.fileDescriptorResponse?.fileDescriptorProto ?? [];
    expect(described.length).toBeGreaterThan(0);
    // The serialized FileDescriptorProto names the service and its methods.
    const text = Buffer.concat(described).toString('latin1');
    for (const name of ['Echo', 'Say', 'Count', 'EchoRequest']) expect(text).toContain(name);
    expect(missing?.errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
  });

  it('is off by default, and refuses a definition it cannot describe, naming the service', async () => {
    const plain = createGrpcServer({
      services: [{ definition: EchoService, implementation: echoImplementation('p') }],
    });
    servers.push(plain);
    const port = await plain.listen(0, '127.0.0.1');
    await expect(ask(port, [{ listServices: '' }])).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });

    const handMade: grpc.ServiceDefinition = {
      Ping: {
        path: '/demo.v1.Pinger/Ping',
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (bytes: Buffer) => bytes,
        responseSerialize: (value: Buffer) => value,
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    };
    expect(() =>
      createGrpcServer({
        services: [{ definition: handMade, implementation: { ping: async () => Buffer.alloc(0) } }],
        reflection: true,
      }),
    ).toThrow(/reflection.*demo\.v1\.Pinger has no file descriptors/);
    expect(() =>
      createGrpcServer({
        services: [{ definition: EchoService, implementation: echoImplementation('x') }],
        reflection: 'yes' as unknown as boolean,
      }),
    ).toThrow(/reflection.*must be true or false/);
  });
});
