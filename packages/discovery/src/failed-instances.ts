/**
 * The instances a call's failed attempts were sent to, by call (any object that lives exactly as
 * long as the call: a transport's per-call state): what its later attempts pass over (see
 * pickUntried). Written only when an attempt fails, read only by attempts after the first, so a
 * call that succeeds at once never touches it; an entry goes with its call.
 */
const failedOn = new WeakMap<object, string[]>();

/** For transports: an attempt of `call` failed on the instance `instanceId`. */
export function noteFailedInstance(call: object, instanceId: string): void {
  const ids = failedOn.get(call);
  if (ids === undefined) failedOn.set(call, [instanceId]);
  else if (!ids.includes(instanceId)) ids.push(instanceId);
}

/** For transports: the instances the failed attempts of `call` used, for pickUntried. */
export function failedInstancesOf(call: object): readonly string[] | undefined {
  return failedOn.get(call);
}
