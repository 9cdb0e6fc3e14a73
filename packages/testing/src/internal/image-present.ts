import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dockerEndpoint } from './docker-endpoint.js';

/**
 * Whether the engine already holds `image` locally (GET /images/<name>/json). Unknown (`undefined`)
 * when the engine is reached through a scheme we do not speak, or does not answer in time.
 */
export function imagePresent(image: string, timeoutMs = 1_500): Promise<boolean | undefined> {
  const target = dockerEndpoint();
  if (target === undefined || target === 'other') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const path = `/images/${encodeURIComponent(image)}/json`;
    const request = send({ ...target, method: 'GET', path, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? true : response.statusCode === 404 ? false : undefined);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(undefined));
    request.end();
  });
}
