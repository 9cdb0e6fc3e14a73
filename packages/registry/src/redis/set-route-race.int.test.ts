/**
 * setRoute() checks the rule against the service's instances, then writes it. An instance that
 * leaves (or starts draining) between the two must not let through a rule the check would refuse:
 * the write only lands if nothing of the service changed since the check (its revision), and is
 * checked again otherwise.
 */
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisRegistry } from '../index.js';
import { RedisScripts } from './redis-scripts.js';
import { catalogInstance } from '@switchyard/registry/testing';

let redis: RedisServerHandle;
const opened: RedisRegistry[] = [];
const namespace = (): string => `sr${randomBytes(5).toString('hex')}`;
const instance = (id: string, version: string) => catalogInstance(id, { version });

function registry(ns: string): RedisRegistry {
  const created = new RedisRegistry({ url: redis.url, namespace: ns });
  opened.push(created);
  return created;
}

/** Runs `between` once, after setRoute's check and before its write reaches Redis. */
function betweenCheckAndWrite(between: () => Promise<unknown>): void {
  const write = RedisScripts.prototype.setRoute;
  vi.spyOn(RedisScripts.prototype, 'setRoute').mockImplementationOnce(async function (
    this: RedisScripts,
    ...args: Parameters<typeof write>
  ) {
    await between();
    return write.apply(this, args);
  });
}

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((each) => each.close().catch(() => undefined)));
});
afterAll(async () => {
  await redis?.stop();
});

describe('setRoute() racing the instances it checked', () => {
  it('refuses a rule whose only instance of a version left between the check and the write', async () => {
    const ns = namespace();
    const operator = registry(ns);
    const owner = registry(ns);
    const leaving = await owner.register(instance('old-1', '1.4.0'));
    await owner.register(instance('new-1', '1.5.0'));
    betweenCheckAndWrite(() => leaving.deregister());
    await expect(operator.setRoute('catalog', { splits: { '1.4.0': 100 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'rule.splits.1.4.0',
      message: expect.stringContaining('no live instance of catalog runs version 1.4.0'),
    });
    expect(await operator.getRoute('catalog')).toBeUndefined();
  });

  it('refuses a rule whose only instance of a version started draining between the check and the write', async () => {
    const ns = namespace();
    const operator = registry(ns);
    const owner = registry(ns);
    const stopping = await owner.register(instance('old-1', '1.4.0'));
    await owner.register(instance('new-1', '1.5.0'));
    betweenCheckAndWrite(() => stopping.update({ status: 'draining' }));
    await expect(operator.setRoute('catalog', { splits: { '1.4.0': 100 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'rule.splits.1.4.0',
    });
    expect(await operator.getRoute('catalog')).toBeUndefined();
  });

  it('writes a rule the change in between does not concern, checked again', async () => {
    const ns = namespace();
    const operator = registry(ns);
    const owner = registry(ns);
    await owner.register(instance('old-1', '1.4.0'));
    await owner.register(instance('new-1', '1.5.0'));
    betweenCheckAndWrite(() => owner.register(instance('new-2', '1.5.0')));
    await operator.setRoute('catalog', { splits: { '1.4.0': 90, '1.5.0': 10 } });
    expect(await operator.getRoute('catalog')).toEqual({ splits: { '1.4.0': 90, '1.5.0': 10 } });
  });

  it('refuses a conditional write when the rule itself changed between the check and the write', async () => {
    const ns = namespace();
    const controller = registry(ns);
    const operator = registry(ns);
    await operator.register(instance('old-1', '1.4.0'));
    await operator.register(instance('new-1', '1.5.0'));
    const five = { splits: { '1.4.0': 95, '1.5.0': 5 } };
    await controller.setRoute('catalog', five);
    const operators = { splits: { '1.4.0': 50, '1.5.0': 50 } };
    betweenCheckAndWrite(() => operator.setRoute('catalog', operators));
    await expect(
      controller.setRoute('catalog', { splits: { '1.4.0': 75, '1.5.0': 25 } }, { expected: five }),
    ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect(await controller.getRoute('catalog')).toEqual(operators);
  });
});
