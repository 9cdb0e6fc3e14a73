import { fileURLToPath } from 'node:url';
import { type ChannelCredentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadService } from '@switchyard/grpc';

const protosDir = fileURLToPath(new URL('../../../../protos', import.meta.url));

/** `switchyard.echo.v1.Echo` from the repository's protos. */
export const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [protosDir],
});

export interface EchoReply {
  message: string;
  servedBy: string;
}

/** An Echo implementation answering with `servedBy`. */
export function echoImplementation(servedBy: string) {
  return {
    async say(request: { message: string }) {
      return { message: request.message, servedBy, remainingMs: 0, traceId: '' };
    },
  };
}

/** One Say call with a plain grpc-js client (no Switchyard in the way), bounded by `deadlineMs`. */
export function rawSay(
  address: string,
  credentials: ChannelCredentials,
  message: string,
  deadlineMs = 3_000,
  channelOptions: Record<string, string | number> = {},
): Promise<EchoReply> {
  const client = new Client(address, credentials, channelOptions);
  const method = EchoService.Say as NonNullable<(typeof EchoService)['Say']>;
  return new Promise<EchoReply>((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { message },
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error: ServiceError | null, response?: unknown) => {
        client.close();
        if (error) reject(error);
        else resolve(response as EchoReply);
      },
    );
  });
}
