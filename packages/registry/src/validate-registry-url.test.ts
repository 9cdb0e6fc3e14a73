import { InvalidArgumentError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { validateRegistryUrl } from './index.js';

function fieldOf(check: () => void): string | undefined {
  try {
    check();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.field;
    throw error;
  }
  return undefined;
}

describe('validateRegistryUrl', () => {
  it('accepts every scheme createRegistry takes', () => {
    for (const url of [
      'memory://',
      'memory://demo',
      'redis://127.0.0.1:6379',
      'rediss://user:secret@redis.example:6380/2',
      'redis-sentinel://a:26379,b:26379/primary',
      'redis-cluster://a:7000,b:7001',
    ]) {
      expect(() => validateRegistryUrl(url, 'SWITCHYARD_REGISTRY_URL'), url).not.toThrow();
    }
  });

  it('refuses a malformed URL under the name of the setting it came from', () => {
    expect(fieldOf(() => validateRegistryUrl('redis//x', 'SWITCHYARD_REGISTRY_URL'))).toBe('SWITCHYARD_REGISTRY_URL');
    expect(fieldOf(() => validateRegistryUrl('mysql://h:1', 'registry'))).toBe('registry');
    expect(fieldOf(() => validateRegistryUrl('redis-sentinel://a:26379', 'registry'))).toBe('registry');
    expect(fieldOf(() => validateRegistryUrl(42))).toBe('url');
  });

  it('keeps the password out of the message', () => {
    expect(() => validateRegistryUrl('redis//user:hunter2@x', 'registry')).toThrow(/^(?!.*hunter2)/s);
  });
});
