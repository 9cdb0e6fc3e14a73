import { SwitchyardError } from '@switchyard/core';
import { bulkhead, circuitBreaker, compose, createPolicy, type Policy } from '@switchyard/resilience';
import { describe, expect, it } from 'vitest';

function logging(name: string, log: string[]): Policy {
  return createPolicy(
    [
      async (context, next) => {
        log.push(`${name}:pre`);
        try {
          return await next(context);
        } finally {
          log.push(`${name}:post`);
        }
      },
    ],
    name,
  );
}

describe('compose', () => {
  it('runs the first policy outermost', async () => {
    const log: string[] = [];
    const policy = compose(logging('a', log), logging('b', log), logging('c', log));
    await policy.execute(() => {
      log.push('operation');
      return 1;
    });
    expect(log).toEqual(['a:pre', 'b:pre', 'c:pre', 'operation', 'c:post', 'b:post', 'a:post']);
    expect(policy.toString()).toBe('compose(a, b, c)');
  });

  it('rejects things that are not policies, naming the position', () => {
    expect(() => compose(logging('a', []), {} as never)).toThrow(/compose\[1\]: must be a policy/);
  });

  it('refuses steps that are not an array of functions when a policy is made, not at every call', () => {
    const step = async (context: never, next: (context: never) => Promise<unknown>) => next(context);
    expect(() => createPolicy(step as never, 'one step, not in an array')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'steps' }),
    );
    expect(() => createPolicy([step, 'log'] as never, 'a string among them')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'steps[1]' }),
    );
  });

  it('refuses an execute() option it does not know, naming it, instead of running without it', async () => {
    let ran = 0;
    const operation = () => {
      ran++;
      return 'ran with no deadline at all';
    };
    // `deadlineMs` is what the gRPC and HTTP clients take; execute() takes an absolute `deadline`.
    // Ignored without a word, the call ran with no deadline, which nothing then bounded.
    await expect(
      compose(bulkhead({ maxConcurrent: 1 })).execute(operation, { deadlineMs: 500 } as never),
    ).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.deadlineMs' }));
    await expect(
      compose(bulkhead({ maxConcurrent: 1 })).execute(operation, { deadline: Date.now() + 500, timeout: 100 } as never),
    ).rejects.toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.timeout' }));
    expect(ran).toBe(0);
    // Every option it knows, and an explicit undefined, still pass.
    await expect(
      compose(bulkhead({ maxConcurrent: 1 })).execute(() => 'ok', {
        deadline: Date.now() + 500,
        signal: new AbortController().signal,
        key: 'get',
      }),
    ).resolves.toBe('ok');
    await expect(compose(bulkhead({ maxConcurrent: 1 })).execute(() => 'ok', { signal: undefined })).resolves.toBe(
      'ok',
    );
  });

  it('turns a synchronous throw of a custom step into a rejection, with or without a deadline', async () => {
    const throwing = createPolicy(
      [
        () => {
          throw new Error('step broke');
        },
      ],
      'throwing',
    );
    await expect(throwing.execute(() => Promise.resolve(1))).rejects.toThrow('step broke');
    const controller = new AbortController();
    await expect(
      throwing.execute(() => Promise.resolve(1), { deadline: Date.now() + 1_000, signal: controller.signal }),
    ).rejects.toThrow('step broke');
  });

  it('lets the steps around a custom step that throws clean up: bulkhead slots and breaker probes', async () => {
    const throwing = createPolicy(
      [
        () => {
          throw new SwitchyardError('UNAVAILABLE', 'step broke', { retryable: true });
        },
      ],
      'throwing',
    );
    const slots = bulkhead({ maxConcurrent: 1 });
    const guarded = compose(slots, throwing);
    for (let i = 0; i < 3; i++) await expect(guarded.execute(() => 1)).rejects.toThrow('step broke');
    expect(slots.running).toBe(0);

    // The failures are recorded: the breaker opens (a lost record would leave it closed forever,
    // or stuck half-open with its probe slot taken).
    const breaker = circuitBreaker({ minimumCalls: 2, openMs: 60_000 });
    const broken = compose(breaker, throwing);
    for (let i = 0; i < 2; i++) await expect(broken.execute(() => 1)).rejects.toThrow('step broke');
    expect(breaker.state()).toBe('open');
  });

  it('turns a synchronous throw of the operation into a rejection', async () => {
    const policy = compose(logging('a', []));
    await expect(
      policy.execute(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
