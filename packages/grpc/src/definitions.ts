import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { type Options, loadSync } from '@grpc/proto-loader';
import { assertObject, describeValue, InvalidArgumentError } from '@switchyard/core';

/** proto-loader options Switchyard uses: camelCase fields, longs and enums as strings, defaults filled. */
export const DEFAULT_PROTO_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/**
 * Loads one service's definition from a `.proto` file.
 *
 * @example
 * ```ts
 * const CatalogService = loadService<CatalogServiceDefinition>('shop/catalog/v1/catalog.proto', 'shop.catalog.v1.CatalogService', { includeDirs: ['protos'] });
 * ```
 * @throws InvalidArgumentError when the file cannot be loaded or does not define the service.
 */
export function loadService<D extends ServiceDefinition = ServiceDefinition>(
  protoFile: string,
  serviceName: string,
  options: Options = {},
): D {
  // Checked first: a service name that is not a string threw "serviceName.split is not a function",
  // and proto-loader's own errors for the others did not say which argument was wrong.
  if (typeof protoFile !== 'string' || protoFile === '') {
    throw new InvalidArgumentError('protoFile', `must be the path of a .proto file, got ${describeValue(protoFile)}`);
  }
  if (typeof serviceName !== 'string' || serviceName === '') {
    throw new InvalidArgumentError(
      'serviceName',
      `must be a fully qualified service name (e.g. 'shop.catalog.v1.CatalogService'), got ${describeValue(serviceName)}`,
    );
  }
  assertObject('options', options);
  let loaded: ReturnType<typeof loadPackageDefinition>;
  try {
    loaded = loadPackageDefinition(loadSync(protoFile, { ...DEFAULT_PROTO_OPTIONS, ...options }));
  } catch (error) {
    throw new InvalidArgumentError('protoFile', `cannot load ${protoFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let node: unknown = loaded;
  for (const part of serviceName.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  const service = (node as { service?: ServiceDefinition } | undefined)?.service;
  if (!service) throw new InvalidArgumentError('serviceName', `${protoFile} defines no service ${serviceName}`);
  return service as D;
}

/** Checks a value is a grpc-js ServiceDefinition (an object of method definitions with paths). */
export function assertServiceDefinition(field: string, definition: unknown): asserts definition is ServiceDefinition {
  const methods = typeof definition === 'object' && definition !== null ? Object.values(definition) : [];
  if (methods.length === 0 || !methods.every((method) => typeof (method as { path?: unknown }).path === 'string')) {
    throw new InvalidArgumentError(field, 'must be a gRPC service definition (e.g. from loadService())');
  }
}

/** The short service name of a definition (`shop.catalog.v1.CatalogService`), from its method paths. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const path = (Object.values(definition)[0] as { path: string }).path;
  return path.slice(1, path.lastIndexOf('/'));
}
