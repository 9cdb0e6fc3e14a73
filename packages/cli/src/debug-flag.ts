/** Values of a flag variable that mean "off", as users write them (compared trimmed, any case). */
const OFF = new Set(['', '0', 'false', 'no', 'off']);

/**
 * Whether `SWITCHYARD_DEBUG` asks for debug output (stacks of failures, Node's warnings). `0`,
 * `false`, `no`, `off` and empty mean off, as for any on/off environment flag; any other value
 * means on. Tested for being set at all, `SWITCHYARD_DEBUG=0` turned debugging on.
 */
export function debugEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.SWITCHYARD_DEBUG;
  return value !== undefined && !OFF.has(value.trim().toLowerCase());
}
