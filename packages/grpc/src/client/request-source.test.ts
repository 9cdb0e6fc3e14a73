import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RequestSource } from './request-source.js';

/** A call's write side that records what it is given; `full` makes write() ask to wait for 'drain'. */
class FakeCall extends EventEmitter {
  written: unknown[] = [];
  ended = false;
  full = false;
  write(request: unknown): boolean {
    this.written.push(request);
    return !this.full;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  /** The call ends (grpc-js emits its status). */
  finish(): void {
    this.emit('status', { code: 0 });
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const pump = (source: RequestSource, call: FakeCall, onFailure: () => void = () => undefined) =>
  source.pump(call as never, onFailure);

describe('RequestSource', () => {
  it('sends an array again on every attempt, and may always retry it', async () => {
    const source = new RequestSource([{ n: 1 }, { n: 2 }], undefined, 'S/M');
    const first = new FakeCall();
    pump(source, first);
    await settle();
    expect(first.written).toEqual([{ n: 1 }, { n: 2 }]);
    expect(first.ended).toBe(true);
    const second = new FakeCall();
    pump(source, second);
    await settle();
    expect(second.written).toEqual([{ n: 1 }, { n: 2 }]);
    expect(source.canRetry()).toBe(true);
  });

  it('reads a one-shot iterable once: retryable until a request is written', async () => {
    let release: (value: IteratorResult<object>) => void = () => undefined;
    const iterable: AsyncIterable<object> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<object>>((resolve) => (release = resolve)),
      }),
    };
    const source = new RequestSource(iterable, undefined, 'S/M');
    const failed = new FakeCall();
    pump(source, failed);
    await settle();
    // The attempt ends while the first request is still being produced: nothing was sent.
    failed.finish();
    expect(source.canRetry()).toBe(true);
    const retried = new FakeCall();
    pump(source, retried);
    release({ value: { n: 1 }, done: false });
    await settle();
    // The request produced meanwhile goes on the next attempt, once.
    expect(failed.written).toEqual([]);
    expect(retried.written).toEqual([{ n: 1 }]);
    expect(source.canRetry()).toBe(false);
  });

  it('waits for the call to drain when its buffer is full', async () => {
    const source = new RequestSource([{ n: 1 }, { n: 2 }], undefined, 'S/M');
    const call = new FakeCall();
    call.full = true;
    pump(source, call);
    await settle();
    expect(call.written).toEqual([{ n: 1 }]);
    call.full = false;
    call.emit('drain');
    await settle();
    expect(call.written).toEqual([{ n: 1 }, { n: 2 }]);
    expect(call.ended).toBe(true);
  });

  it('refuses an array with a bad request at once, naming it, before any call is made from it', () => {
    expect(() => new RequestSource([{ n: 1 }, 'oops'], undefined, 'S/M')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'requests[1]' }),
    );
    // A hole in a sparse array is a missing request.
    const sparse: unknown[] = [{ n: 1 }];
    sparse[2] = { n: 3 };
    expect(() => new RequestSource(sparse, undefined, 'S/M')).toThrow(
      expect.objectContaining({ field: 'requests[1]' }),
    );
  });

  it('records why the requests could not be read, names a bad one, and refuses what is not a stream', async () => {
    // A one-shot iterable's requests are checked as they come.
    const source = new RequestSource(
      (function* () {
        yield { n: 1 };
        yield 'oops';
      })(),
      undefined,
      'S/M',
    );
    const call = new FakeCall();
    let failures = 0;
    pump(source, call, () => failures++);
    await settle();
    expect(failures).toBe(1);
    expect(source.failure).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'requests[1]' });
    expect(call.ended).toBe(false);

    async function* throwing() {
      yield { n: 1 };
      throw new Error('source broke');
    }
    const broken = new RequestSource(throwing(), undefined, 'S/M');
    pump(broken, new FakeCall());
    await settle();
    expect(broken.failure?.message).toBe('source broke');

    for (const notAStream of [{ n: 1 }, 'text', 42, null, undefined]) {
      expect(() => new RequestSource(notAStream, undefined, 'S/M')).toThrow(/requests: S\/M streams its requests/);
    }
  });
});

describe('RequestSource waiting for room', () => {
  it('leaves no listener behind, and takes a call that ends while it waits as the end, not a failure', async () => {
    const source = new RequestSource([{ n: 1 }, { n: 2 }, { n: 3 }], undefined, 'S/M');
    const call = new FakeCall();
    call.full = true;
    let failures = 0;
    pump(source, call, () => failures++);
    await settle();
    for (let round = 0; round < 5 && !call.ended; round++) {
      call.emit('drain');
      await settle();
    }
    expect(call.written).toHaveLength(3);
    expect(call.ended).toBe(true);
    expect(call.listenerCount('drain')).toBe(0);
    expect(call.listenerCount('status')).toBe(0);

    const failing = new FakeCall();
    failing.full = true;
    // A bidirectional call reports its failure as 'error' (its reader handles it) and ends.
    failing.on('error', () => undefined);
    pump(new RequestSource([{ n: 1 }, { n: 2 }], undefined, 'S/M'), failing, () => failures++);
    await settle();
    failing.emit('error', new Error('14 UNAVAILABLE'));
    failing.finish();
    await settle();
    expect(failures).toBe(0);
    expect(failing.written).toEqual([{ n: 1 }]);
    expect(failing.listenerCount('drain')).toBe(0);
  });
});
