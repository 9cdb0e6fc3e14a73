import { describe, expect, it } from 'vitest';
import { describeRedisError } from './redis-connection.js';

describe('describeRedisError', () => {
  it("gives the attempts' reasons of a connect to several addresses, whose AggregateError has no message", () => {
    // What Node 20 throws for redis://localhost with Redis down where localhost is ::1 and 127.0.0.1.
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    const error = Object.assign(new AggregateError([refused('::1:6379'), refused('127.0.0.1:6379')], ''), {
      code: 'ECONNREFUSED',
    });
    // It was '', so "could not connect within 5000 ms (reconnecting)" said nothing of why.
    expect(describeRedisError(error)).toBe('connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379');
  });

  it("falls back to an error's code when it has neither message nor attempts", () => {
    expect(describeRedisError(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
  });

  it("says the connection closed for ioredis's max-retries rejection of a command in flight", () => {
    // Told as it was, it named an ioredis option ("maxRetriesPerRequest") the user never set.
    const error = new Error(
      'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
    );
    expect(describeRedisError(error)).toBe('the connection closed before Redis answered');
  });

  it('keeps the first line of a message, and says permission denied for an ACL refusal', () => {
    expect(describeRedisError(new Error('ERR something\nsecond line'))).toBe('ERR something');
    expect(describeRedisError(new Error('NOPERM this user has no permissions'))).toBe(
      'permission denied: NOPERM this user has no permissions',
    );
  });
});
