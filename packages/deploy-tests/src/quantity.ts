/**
 * Kubernetes resource quantities (`250m`, `1`, `512Mi`, `1G`) as numbers, to compare
 * requests with limits.
 */
const SUFFIXES: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** The value of a quantity in base units (cores, bytes); `undefined` when it does not parse. */
export function parseQuantity(quantity: string | number | undefined): number | undefined {
  if (typeof quantity === 'number') return quantity;
  if (quantity === undefined) return undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity.trim());
  if (!match) return undefined;
  return Number(match[1]) * SUFFIXES[match[2] ?? '']!;
}
