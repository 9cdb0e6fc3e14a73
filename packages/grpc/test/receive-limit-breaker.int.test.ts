/**
 * A response over the client's own `grpc.max_receive_message_length` is the client's limit: the
 * instance answered, and the answer is as large on any other. Counted as the service's failure,
 * 20 such replies opened the breaker for every call to the service (the small ones included), and
 * the instance was reported overloaded.
 */
import { createGrpcClient } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discoveredEcho, EchoService } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

describe("a response over the client's receive limit", () => {
  it('fails RESOURCE_EXHAUSTED every time without opening the breaker: other calls still get through', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    // The default policy: retry with a budget, and a breaker over the service.
    const echo = createGrpcClient({
      definition: EchoService,
      discovery,
      channelOptions: { 'grpc.max_receive_message_length': 1_000 },
    }) as unknown as { say(request: object): Promise<{ message: string }>; close(): Promise<void> };
    cleanups.push(() => echo.close());
    for (let call = 0; call < 30; call++) {
      await expect(echo.say({ message: 'x'.repeat(2_000) })).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    }
    expect((await echo.say({ message: 'small' })).message).toContain('small');
  });
});
