import { compose, createPolicy, type Policy } from '@switchyard/resilience';
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

  it('turns a synchronous throw of the operation into a rejection', async () => {
    const policy = compose(logging('a', []));
    await expect(
      policy.execute(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
