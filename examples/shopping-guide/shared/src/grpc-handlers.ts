import type { GrpcHandlerContext } from '@switchyard/grpc';

/** The decoded request of a method of a generated service definition. */
export type RequestOf<M> = M extends { requestDeserialize: (bytes: Buffer) => infer Request } ? Request : never;
/** The response a handler returns for a method of a generated service definition. */
export type ResponseOf<M> = M extends { responseSerialize: (value: infer Response) => Buffer } ? Response : never;

/** Promise-style handlers for every method of a service definition, as createGrpcServer takes them. */
export type Handlers<D> = {
  [K in keyof D as Uncapitalize<K & string>]: (
    request: RequestOf<D[K]>,
    context: GrpcHandlerContext,
  ) => Promise<ResponseOf<D[K]>>;
};
