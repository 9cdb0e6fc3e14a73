import { afterEach, describe, expect, it } from 'vitest';
import { describeDockerEndpoint, dockerEndpoint, dockerSharesLoopback } from './docker-endpoint.js';

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

describe.runIf(process.platform === 'linux')('dockerSharesLoopback', () => {
  const savedRuntimeDir = process.env.XDG_RUNTIME_DIR;
  afterEach(() => {
    if (savedRuntimeDir === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedRuntimeDir;
  });

  it('is true for a rootful engine on this host', () => {
    process.env.DOCKER_HOST = 'unix:///var/run/docker.sock';
    expect(dockerSharesLoopback()).toBe(true);
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:2375';
    expect(dockerSharesLoopback()).toBe(true);
    // Rootless Podman's socket: its host network is the host's.
    process.env.DOCKER_HOST = 'unix:///run/user/1000/podman/podman.sock';
    expect(dockerSharesLoopback()).toBe(true);
  });

  it('is false for rootless Docker, whose host network is RootlessKit’s own namespace', () => {
    // The socket dockerd-rootless-setuptool.sh tells users to export as DOCKER_HOST.
    process.env.XDG_RUNTIME_DIR = '/run/user/1000';
    process.env.DOCKER_HOST = 'unix:///run/user/1000/docker.sock';
    expect(dockerSharesLoopback()).toBe(false);
    // XDG_RUNTIME_DIR elsewhere, or unset: the socket in it, or under /run/user/<uid>, is still rootless.
    process.env.XDG_RUNTIME_DIR = '/tmp/runtime-ci';
    process.env.DOCKER_HOST = 'unix:///tmp/runtime-ci/docker.sock';
    expect(dockerSharesLoopback()).toBe(false);
    delete process.env.XDG_RUNTIME_DIR;
    process.env.DOCKER_HOST = 'unix:///run/user/1001/docker.sock';
    expect(dockerSharesLoopback()).toBe(false);
  });
});
