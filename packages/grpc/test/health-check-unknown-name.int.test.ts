/**
 * grpc.health.v1 `Check` for a service the server does not know: NOT_FOUND, naming what was asked
 * for, bounded. The name came back in full in `grpc-message`: one over what Node's HTTP/2 decodes
 * in a header (64 KiB; the request message may carry 4 MiB) broke the asking client's connection,
 * and the call, its answer never read, waited for its deadline.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, healthServiceDefinition } from '@switchyard/grpc';
import { expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

async function healthClient() {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
  const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client &
    Record<string, Function>;
  cleanups.push(() => health.close());
  return (service: string) =>
    new Promise<string>((resolve, reject) =>
      health.Check!(
        { service },
        new grpc.Metadata(),
        { deadline: Date.now() + 3_000 },
        (error: Error | null, response: { status: string }) => (error ? reject(error) : resolve(response.status)),
      ),
    );
}

it('answers NOT_FOUND naming a short unknown name as it is', async () => {
  const check = await healthClient();
  await expect(check('no.such.v1.Service')).rejects.toMatchObject({
    code: grpc.status.NOT_FOUND,
    details: 'unknown service "no.such.v1.Service"',
  });
});

it('answers NOT_FOUND for a huge unknown name with a bounded message, and the connection goes on', async () => {
  const check = await healthClient();
  const huge = 'x'.repeat(100_000);
  // Before: DEADLINE_EXCEEDED after 3 s (the client's HTTP/2 refused the 100 kB grpc-message).
  const error = (await check(huge).catch((thrown: unknown) => thrown)) as grpc.ServiceError;
  expect(error.code).toBe(grpc.status.NOT_FOUND);
  expect(error.details.length).toBeLessThan(1_000);
  expect(error.details).toContain('100000 characters');
  expect(error.details.startsWith('unknown service "xxxx')).toBe(true);
  // The same connection still answers.
  expect(await check('')).toBe('SERVING');
});
