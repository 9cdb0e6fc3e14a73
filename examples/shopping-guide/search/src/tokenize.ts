const STOP_WORDS = new Set(
  'a an and are as at be by for from in into is it of on or the to with your you our this that'.split(' '),
);

/**
 * Splits text into search terms: lower case, accents removed, split on anything that is not a
 * letter or digit, stop words dropped, and a light plural stemming (`boxes`/`bottles` →
 * `box`/`bottle`, `batteries` → `battery`) applied the same way to documents and queries.
 */
export function tokenize(text: string): string[] {
  return words(text).map(stem);
}

/** The words {@link tokenize} makes its terms of, before stemming (`pitches`, not `pitch`). */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '' && !STOP_WORDS.has(word));
}

/** The light plural stemmer of {@link tokenize}. */
export function stem(term: string): string {
  if (term.length <= 3) return term;
  if (term.endsWith('ies')) return `${term.slice(0, -3)}y`;
  if (/(?:ch|sh|x|ss)es$/.test(term)) return term.slice(0, -2);
  if (term.endsWith('s') && !term.endsWith('ss') && !term.endsWith('us')) return term.slice(0, -1);
  return term;
}
