import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import { SwitchyardTestingError } from '../testing-error.js';
import { trackContainer, type DockerApiEndpoint } from './container-reaper.js';
import { loadTestcontainers } from './load-testcontainers.js';
import { OutputBuffer } from './output-buffer.js';
import { redisImage } from './redis-image.js';
import { waitForPing } from './readiness.js';
import type { RedisNode, RedisNodeSpec } from './redis-node.js';
import { SerialQueue } from './redis-node.js';
import { withTimeout } from './timeouts.js';

const STOP_GRACE_MS = 5_000;
const DOCKER_CALL_TIMEOUT_MS = 15_000;
const SENTINEL_CONFIG_PATH = '/data/sentinel.conf';

/**
 * One container with host networking running `redis-server` on 127.0.0.1:`port`. A restart is a fresh container
 * on the same port. Labelled `switchyard.testing=true` so leftovers can be swept by label.
 */
export class ContainerRedisNode implements RedisNode {
  private container: StartedTestContainer | undefined;
  private image = redisImage();
  private paused = false;
  private untrack: (() => void) | undefined;
  private runtime: ContainerRuntimeClient | undefined;
  private readonly queue = new SerialQueue();

  constructor(readonly spec: RedisNodeSpec) {}

  get running(): boolean {
    return this.container !== undefined;
  }

  describe(): string {
    const id = this.container ? ` ${this.container.getId().slice(0, 12)}` : '';
    return `${this.spec.label} (container${id} ${this.image} on 127.0.0.1:${this.spec.port})`;
  }

  start(): Promise<void> {
    return this.queue.run(async () => {
      if (this.container) return;
      this.image = redisImage();
      const output = new OutputBuffer();
      let abandoned = false;
      try {
        const { getContainerRuntimeClient } = await loadTestcontainers();
        this.runtime = await withTimeout(getContainerRuntimeClient(), DOCKER_CALL_TIMEOUT_MS, 'connecting to Docker');
        const creating = this.create(output);
        // If creation outlives the timeout, remove the container it eventually produces.
        creating.then(
          (late) => {
            if (abandoned) late.stop({ timeout: 0, remove: true }).catch(() => undefined);
          },
          () => undefined,
        );
        this.container = await withTimeout(
          creating,
          this.spec.startupTimeoutMs + DOCKER_CALL_TIMEOUT_MS,
          `starting ${this.describe()}`,
        );
        this.untrack = trackContainer(this.container.getId(), modemEndpoint(this.runtime));
        await waitForPing({
          port: this.spec.port,
          password: this.spec.kind === 'server' ? this.spec.password : undefined,
          timeoutMs: this.spec.startupTimeoutMs,
          what:
            `${this.describe()} to answer PING on this host's 127.0.0.1 (host networking needs a Linux engine on ` +
            'this machine; Docker Desktop only with host networking enabled, remote engines never)',
        });
      } catch (error) {
        abandoned = true;
        await this.remove().catch(() => undefined);
        // With host networking the free port chosen for it may be taken before redis-server binds it, as on
        // the binary path (and the window is wider: the container is created in between). PORT_TAKEN lets the
        // caller try other ports instead of failing the suite.
        const portTaken = /Address already in use/i.test(`${(error as Error).message}\n${output.describe()}`);
        throw new SwitchyardTestingError(
          portTaken ? 'PORT_TAKEN' : 'START_FAILED',
          `could not start ${this.describe()}: ${(error as Error).message.trim()}${pullHint(error, this.image)}` +
            (output.empty ? '' : `\ncontainer output:\n${output.describe()}`),
          { cause: error },
        );
      }
    });
  }

  stop(): Promise<void> {
    return this.queue.run(async () => {
      const container = this.container;
      if (!container) return;
      // Every Docker call is bounded; a container already removed (404: `docker rm -f`, a label sweep) is
      // stopped, so stop() stays idempotent instead of failing for good with the node still "running".
      if (this.paused) {
        await withTimeout(
          this.dockerode().unpause().catch(unlessGone),
          DOCKER_CALL_TIMEOUT_MS,
          `resuming ${this.describe()} to stop it`,
        );
      }
      await withTimeout(
        container.stop({ timeout: STOP_GRACE_MS, remove: true }).catch(unlessGone),
        STOP_GRACE_MS + DOCKER_CALL_TIMEOUT_MS,
        `stopping ${this.describe()}`,
      );
      this.forget();
    });
  }

  kill(): Promise<void> {
    return this.queue.run(() => this.remove());
  }

  pause(): Promise<void> {
    return this.queue.run(async () => {
      await withTimeout(this.dockerode().pause(), DOCKER_CALL_TIMEOUT_MS, `pausing ${this.describe()}`);
      this.paused = true;
    });
  }

  resume(): Promise<void> {
    return this.queue.run(async () => {
      await withTimeout(this.dockerode().unpause(), DOCKER_CALL_TIMEOUT_MS, `resuming ${this.describe()}`);
      this.paused = false;
    });
  }

  private async create(output: OutputBuffer): Promise<StartedTestContainer> {
    const { GenericContainer, Wait } = await loadTestcontainers();
    const command =
      this.spec.kind === 'sentinel'
        ? ['redis-server', SENTINEL_CONFIG_PATH, ...this.spec.args, '--sentinel', '--dir', '/data']
        : ['redis-server', ...this.spec.args, '--dir', '/data'];
    let container = new GenericContainer(this.image)
      .withNetworkMode('host')
      .withCommand(command)
      .withLabels({
        'switchyard.testing': 'true',
        'switchyard.testing.node': this.spec.label,
        'switchyard.testing.port': String(this.spec.port),
        'switchyard.testing.pid': String(process.pid),
      })
      .withLogConsumer((stream) => {
        stream.on('data', (chunk: Buffer | string) => output.append(chunk));
        stream.on('error', () => undefined);
      })
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections|Sentinel ID is/))
      .withStartupTimeout(this.spec.startupTimeoutMs);
    if (this.spec.config !== undefined) {
      container = container.withCopyContentToContainer([
        { content: this.spec.config, target: SENTINEL_CONFIG_PATH, mode: 0o666 },
      ]);
    }
    return container.start();
  }

  /** docker kill + docker rm, both forced; tolerant of a container that is already gone. */
  private async remove(): Promise<void> {
    const container = this.container;
    if (!container) return;
    const handle = this.dockerode();
    await withTimeout(
      handle.remove({ force: true, v: true }).catch(unlessGone),
      DOCKER_CALL_TIMEOUT_MS,
      `killing ${this.describe()}`,
    );
    this.forget();
  }

  private forget(): void {
    this.container = undefined;
    this.paused = false;
    this.untrack?.();
    this.untrack = undefined;
  }

  /** The dockerode handle of the running container (for kill / pause, which testcontainers does not offer). */
  private dockerode() {
    if (!this.container || !this.runtime) {
      throw new SwitchyardTestingError('UNSUPPORTED_OPERATION', `${this.describe()} is not running`);
    }
    return this.runtime.container.getById(this.container.getId());
  }
}

/** Rethrows a Docker API error unless it says the container no longer exists (404). */
function unlessGone(error: { statusCode?: number }): void {
  if (error?.statusCode !== 404) throw error;
}

function modemEndpoint(runtime: ContainerRuntimeClient): DockerApiEndpoint {
  const modem = runtime.container.dockerode.modem as DockerApiEndpoint;
  return { socketPath: modem.socketPath, host: modem.host, port: modem.port, protocol: modem.protocol };
}

function pullHint(error: unknown, image: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!/pull|no such image|not found|manifest|repository|registry|denied/i.test(message)) return '';
  return (
    ` (image ${image} is not available locally and could not be pulled: build one with` +
    ` scripts/build-redis-image.sh and set SWITCHYARD_REDIS_IMAGE, or use SWITCHYARD_TESTING_VIA=binary)`
  );
}
