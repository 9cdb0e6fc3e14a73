import { TOKEN } from './http-client-options.js';

/** Header names found valid, each with its lower-case form. */
const validNames = new Map<string, string>();
/** Bounded: a caller that sends ever-new names (one per user, say) must not grow it without end. */
export const MAX_REMEMBERED_HEADER_NAMES = 1_024;

/**
 * The lower-case form of a request header name, or undefined when the name is not an HTTP token
 * (so not a header name at all). A client sends the same few names call after call, so a name is
 * tested and lower-cased once and then answered from memory: those two steps were most of what
 * validating a request's own headers cost (about 0.2 µs per header in a loop).
 */
export function lowerCaseHeaderName(name: string): string | undefined {
  const known = validNames.get(name);
  if (known !== undefined) return known;
  if (!TOKEN.test(name)) return undefined;
  const lower = name.toLowerCase();
  if (validNames.size >= MAX_REMEMBERED_HEADER_NAMES) validNames.clear();
  validNames.set(name, lower);
  return lower;
}

/** How many names are remembered now (for tests: the memory stays bounded). @internal */
export function rememberedHeaderNameCount(): number {
  return validNames.size;
}
