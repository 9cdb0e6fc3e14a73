// Files that exist for this repository's tests and mean nothing to a user (or leak test data).
const TEST_ARTEFACTS: { pattern: RegExp; what: string }[] = [
  { pattern: /\.(test|spec)\.[cm]?[jt]sx?$/, what: 'a test file' },
  { pattern: /\.test-d\.[cm]?ts$/, what: 'a type test' },
  { pattern: /(^|\/)__snapshots__\/|\.snap$/, what: 'a test snapshot' },
  { pattern: /(^|\/)(test|tests|__tests__|test-support|test-output|fixtures|__fixtures__)\//, what: 'test support' },
  { pattern: /\.tsbuildinfo$/, what: 'a build cache' },
];

/** Why `file` (relative to the package root) should not be in a tarball; undefined if it may be. */
export function testArtefactKind(file: string): string | undefined {
  return TEST_ARTEFACTS.find(({ pattern }) => pattern.test(file))?.what;
}
