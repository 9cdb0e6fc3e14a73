/**
 * A logger without all four levels is refused when the server is made (createGrpcServer's: see
 * packages/grpc/test/served-services.test.ts): one with `error` alone was
 * accepted, and the first 4xx or 5xx error reply (logged at debug or warn) threw in the handler's
 * rejection, unhandled (the process ended under Node's default), and the request got no reply.
 */
import type { Logger } from '@switchyard/core';
import { httpHandler, switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { expect, it } from 'vitest';

const errorOnly = { error() {} } as unknown as Logger;

it('httpHandler and the Fastify plugin refuse a logger without debug, info and warn, naming what is missing', async () => {
  expect(() => httpHandler(() => undefined, { logger: errorOnly })).toThrow(
    expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      field: 'options.logger',
      message: expect.stringContaining('missing debug, info, warn'),
    }),
  );
  const app = Fastify();
  await expect(app.register(switchyardFastify, { logger: errorOnly })).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
  });
  await app.close();
});
