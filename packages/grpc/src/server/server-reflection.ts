import type { Server, ServiceDefinition } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { InvalidArgumentError } from '@switchyard/core';
import { serviceNameOf } from '../definitions.js';

/** A proto-loader method definition's message types carry the `.proto` files they come from. */
interface DescribedMethod {
  requestType?: { fileDescriptorProtos?: unknown };
  responseType?: { fileDescriptorProtos?: unknown };
}

/**
 * Serves gRPC server reflection (`grpc.reflection.v1` and `v1alpha`, through `@grpc/reflection`)
 * for exactly the services this server serves, so `grpcurl` and `grpcui` can list and call them
 * without the `.proto` files.
 *
 * The descriptors come from the definitions themselves: `loadService()` (proto-loader) keeps, on
 * every method's request and response type, the serialized files that define them. A definition
 * without them (built by hand) cannot be described, and fails here, at start, naming the service.
 */
export function addReflection(server: Pick<Server, 'addService'>, definitions: readonly ServiceDefinition[]): void {
  // Every method of a file carries the same descriptor buffers: each is handed over once.
  const files = new Set<Buffer>();
  const services: string[] = [];
  for (const definition of definitions) {
    const service = serviceNameOf(definition);
    const described = Object.values(definition).flatMap((method) => {
      const { requestType, responseType } = method as DescribedMethod;
      return [requestType?.fileDescriptorProtos, responseType?.fileDescriptorProtos].filter(Array.isArray);
    });
    if (described.length === 0) {
      throw new InvalidArgumentError(
        'reflection',
        `${service} has no file descriptors to describe it: load it with loadService() (proto-loader), or turn reflection off`,
      );
    }
    for (const list of described) for (const file of list as Buffer[]) files.add(file);
    services.push(service);
  }
  // The reflection service reads `fileDescriptorProtos` from the values of a package definition.
  const pkg = { files: { format: 'Protocol Buffer 3 DescriptorProto', fileDescriptorProtos: [...files] } };
  new ReflectionService(pkg as unknown as PackageDefinition, { services }).addToServer(server);
}
