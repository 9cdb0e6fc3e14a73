import { dockerAvailable } from '../docker-available.js';
import { describeDockerEndpoint, dockerSharesLoopback } from './docker-endpoint.js';
import { findOnPath } from './find-on-path.js';
import { imagePresent } from './image-present.js';
import { redisImage } from './redis-image.js';
import { SwitchyardTestingError } from '../testing-error.js';
import type { RedisVia, RedisViaOption } from '../via.js';

const CHOICES: readonly RedisViaOption[] = ['auto', 'env', 'container', 'binary'];

/** The chosen path and, for the log line, why. */
export interface ResolvedVia<V extends RedisVia> {
  via: V;
  reason: string;
}

/**
 * Picks where a Redis comes from: the `via` option, else `SWITCHYARD_TESTING_VIA`, else `auto`
 * (`REDIS_URL` if `allowEnv`, then a Docker engine that answers, then the `redis-server` binary).
 */
export async function resolveVia(requested: RedisViaOption | undefined, allowEnv: true): Promise<ResolvedVia<RedisVia>>;
export async function resolveVia(
  requested: RedisViaOption | undefined,
  allowEnv: false,
): Promise<ResolvedVia<'container' | 'binary'>>;
export async function resolveVia(
  requested: RedisViaOption | undefined,
  allowEnv: boolean,
): Promise<ResolvedVia<RedisVia>> {
  const fromEnvironment = process.env.SWITCHYARD_TESTING_VIA || undefined;
  let choice = requested ?? fromEnvironment ?? 'auto';
  const source = requested !== undefined ? 'via option' : fromEnvironment ? 'SWITCHYARD_TESTING_VIA' : 'auto';
  if (!CHOICES.includes(choice as RedisViaOption)) {
    throw new SwitchyardTestingError(
      'INVALID_ARGUMENT',
      `${source === 'via option' ? 'via' : 'SWITCHYARD_TESTING_VIA'} must be one of ${CHOICES.join(', ')} ` +
        `(got ${JSON.stringify(choice)})`,
    );
  }
  if (choice === 'env' && !allowEnv) {
    if (source === 'via option') {
      throw new SwitchyardTestingError('INVALID_ARGUMENT', `via: 'env' is only supported by startRedis()`);
    }
    choice = 'auto'; // SWITCHYARD_TESTING_VIA=env selects REDIS_URL for standalone Redis; topologies still start their own
  }
  switch (choice) {
    case 'env':
      if (!process.env.REDIS_URL) {
        throw new SwitchyardTestingError('NOT_AVAILABLE', `${source} asks for REDIS_URL, but REDIS_URL is not set`);
      }
      return { via: 'env', reason: source };
    case 'container':
      if (!(await dockerAvailable())) {
        throw new SwitchyardTestingError(
          'NOT_AVAILABLE',
          `${source} asks for a container, but no Docker engine answered (${describeDockerEndpoint()})`,
        );
      }
      return { via: 'container', reason: source };
    case 'binary':
      requireBinary(`${source} asks for the binary, but`);
      return { via: 'binary', reason: source };
    default:
      if (allowEnv && process.env.REDIS_URL) return { via: 'env', reason: 'REDIS_URL is set' };
      if (!(await dockerAvailable())) {
        return binaryInstead(`no Docker engine answered (${describeDockerEndpoint()})`, allowEnv);
      }
      if (!dockerSharesLoopback()) {
        const where = `${describeDockerEndpoint()} on ${process.platform}`;
        return binaryInstead(`the Docker engine (${where}) cannot share this host's loopback`, allowEnv, true);
      }
      // An image that is not here would have to be pulled; where a local binary exists, prefer it
      // over a pull that may be slow or impossible (offline CI), and say how to get the image.
      if ((await imagePresent(redisImage())) === false && findOnPath('redis-server')) {
        return {
          via: 'binary',
          reason: `image ${redisImage()} is not present locally (build one with scripts/build-redis-image.sh and set SWITCHYARD_REDIS_IMAGE)`,
        };
      }
      return { via: 'container', reason: 'a Docker engine answered' };
  }
}

/**
 * `auto` falls back to the binary because of `reason`. Without `redis-server` on PATH that used to surface as a
 * spawn ENOENT recommending the container path, without a word on why the container path was not taken.
 */
function binaryInstead(reason: string, allowEnv: boolean, engineAnswered = false): ResolvedVia<'binary'> {
  const remedy =
    'install redis-server (Debian: apt-get install redis-server)' +
    (engineAnswered ? ', or force a container with SWITCHYARD_TESTING_VIA=container' : ', or start a Docker engine') +
    (allowEnv ? ', or set REDIS_URL' : '');
  requireBinary(`auto: ${reason}, and`, remedy);
  return { via: 'binary', reason };
}

/** Throws NOT_AVAILABLE, naming where it looked, unless `redis-server` is on PATH. */
function requireBinary(
  context: string,
  remedy = 'install redis-server (Debian: apt-get install redis-server), or use SWITCHYARD_TESTING_VIA=container',
): void {
  if (findOnPath('redis-server') !== undefined) return;
  throw new SwitchyardTestingError(
    'NOT_AVAILABLE',
    `${context} redis-server is not on PATH (${process.env.PATH ?? ''}): ${remedy}`,
  );
}
