import { afterEach, expect, it } from 'vitest';
import { describeDockerEndpoint, dockerEndpoint } from './docker-endpoint.js';

const saved = process.env.DOCKER_HOST;
afterEach(() => {
  if (saved === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = saved;
});

it('treats a malformed tcp:// DOCKER_HOST as no engine, and says so, instead of throwing', () => {
  for (const value of ['tcp://', 'tcp://host:99999', 'tcp://[::1']) {
    process.env.DOCKER_HOST = value;
    expect(dockerEndpoint(), value).toBeUndefined();
    expect(describeDockerEndpoint()).toBe(`DOCKER_HOST=${value} (not a usable address)`);
  }
  process.env.DOCKER_HOST = 'tcp://127.0.0.1:2375';
  expect(dockerEndpoint()).toEqual({ host: '127.0.0.1', port: 2375 });
});
