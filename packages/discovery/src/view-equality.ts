import type { ServiceInstance } from '@switchyard/core';

/**
 * Whether two versions of an instance say the same thing: every field equal, `ports` and
 * `metadata` (and any other object field a custom registry adds) compared one level deep. A
 * registry hands out a new object for every event and every resync; discovery keeps the one it
 * has when nothing changed, so its view can be compared by identity (see {@link sameView}).
 */
export function sameInstance(a: ServiceInstance, b: ServiceInstance): boolean {
  return a === b || sameFields(a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>, 1);
}

/** Whether two views hold the same instance objects in the same order (a rebuild that changed nothing). */
export function sameView(a: readonly ServiceInstance[], b: readonly ServiceInstance[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function sameFields(a: Record<string, unknown>, b: Record<string, unknown>, depth: number): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key)) return false;
    const left = a[key];
    const right = b[key];
    if (left === right) continue;
    if (
      depth === 0 ||
      typeof left !== 'object' ||
      typeof right !== 'object' ||
      left === null ||
      right === null ||
      !sameFields(left as Record<string, unknown>, right as Record<string, unknown>, depth - 1)
    ) {
      return false;
    }
  }
  return true;
}
