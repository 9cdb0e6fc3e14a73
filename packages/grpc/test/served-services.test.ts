/**
 * What createGrpcServer is given to serve: each service once, not one the server adds itself, each
 * method's handler under one name. grpc-js refused the first two with a bare Error (no code, no
 * field), and took the proto name's handler over the camelCase one without a word.
 */
import type { Logger } from '@switchyard/core';
import { createGrpcServer, healthServiceDefinition } from '@switchyard/grpc';
import { expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

it('refuses a service given twice, naming the second and the first', () => {
  expect(() =>
    createGrpcServer({
      services: [
        { definition: EchoService, implementation: echoImplementation('a') },
        { definition: EchoService, implementation: echoImplementation('b') },
      ],
    }),
  ).toThrow(
    expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      field: 'services[1].definition',
      message: expect.stringContaining('switchyard.echo.v1.Echo is already served by services[0].definition'),
    }),
  );
});

it('refuses a health service of its own while the server serves health, and takes it with health: false', async () => {
  const own = { definition: healthServiceDefinition(), implementation: { check() {}, watch() {}, list() {} } };
  expect(() => createGrpcServer({ services: [own] })).toThrow(
    expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      field: 'services[0].definition',
      message: expect.stringContaining('pass health: false to serve your own'),
    }),
  );
  const server = createGrpcServer({ services: [own], health: false });
  await server.shutdown(0);
});

it('refuses a handler given under both its proto and its camelCase name', () => {
  const implementation = { ...echoImplementation('a'), Say: async () => ({ message: 'which one?' }) };
  expect(() => createGrpcServer({ services: [{ definition: EchoService, implementation }] })).toThrow(
    expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      field: 'services[0].implementation.say',
      message: expect.stringContaining('both implement Say'),
    }),
  );
});

it('refuses a logger without all four levels, naming what is missing (one without debug failed in the handler wrappers)', () => {
  const errorAndWarn = { error() {}, warn() {} } as unknown as Logger;
  expect(() =>
    createGrpcServer({
      services: [{ definition: EchoService, implementation: echoImplementation('a') }],
      logger: errorAndWarn,
    }),
  ).toThrow(
    expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      field: 'logger',
      message: expect.stringContaining('missing debug, info'),
    }),
  );
});
