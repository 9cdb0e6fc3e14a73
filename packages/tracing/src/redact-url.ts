/** What a redacted credential or query value reads as, as the semantic conventions spell it. */
export const REDACTED = 'REDACTED';

/**
 * Query parameters whose values the semantic conventions say to redact by default (`url.full`,
 * `url.query`): signed-URL credentials, which would let anyone who reads the trace replay the
 * request. One test first (no allocation for the usual query), then the replacement.
 */
const SENSITIVE_NAMES =
  'AWSAccessKeyId|Signature|sig|X-Goog-Signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token';
const HAS_SENSITIVE_VALUE = new RegExp(`(?:^|&)(?:${SENSITIVE_NAMES})=`);
const SENSITIVE_VALUES = new RegExp(`(^|&)(${SENSITIVE_NAMES})=[^&]*`, 'g');

/**
 * A URL (`scheme://host/path?query`) or request target (`/path?query`) as the semantic conventions
 * allow it in a span: credentials in the authority become `REDACTED:REDACTED` (`REDACTED` without a
 * password), and the values of the signed-URL parameters `AWSAccessKeyId`, `Signature`, `sig`,
 * `X-Goog-Signature` and SigV4's `X-Amz-Signature`, `X-Amz-Credential` and `X-Amz-Security-Token`
 * (S3 presigned URLs) become `REDACTED`. Returns `url` itself (the same string) when there is
 * nothing to redact, which is the usual case and costs two `indexOf` calls.
 */
export function redactUrl(url: string): string {
  let redacted = url.indexOf('@') < 0 ? url : redactUserInfo(url);
  const queryStart = redacted.indexOf('?');
  if (queryStart >= 0) {
    const fragmentStart = redacted.indexOf('#', queryStart);
    const queryEnd = fragmentStart < 0 ? redacted.length : fragmentStart;
    const query = redacted.slice(queryStart + 1, queryEnd);
    const safe = redactQuery(query);
    if (safe !== query) redacted = `${redacted.slice(0, queryStart + 1)}${safe}${redacted.slice(queryEnd)}`;
  }
  return redacted;
}

/** A query string (without `?`) with the sensitive parameters' values redacted; itself if none is there. */
export function redactQuery(query: string): string {
  return HAS_SENSITIVE_VALUE.test(query) ? query.replace(SENSITIVE_VALUES, `$1$2=${REDACTED}`) : query;
}

/** `scheme://user:password@host…` with the user information redacted; other strings as they are. */
function redactUserInfo(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return url;
  const authorityStart = schemeEnd + 3;
  const authorityLength = url.slice(authorityStart).search(/[/?#]/);
  const authorityEnd = authorityLength < 0 ? url.length : authorityStart + authorityLength;
  const userInfoEnd = url.lastIndexOf('@', authorityEnd - 1);
  if (userInfoEnd < authorityStart) return url;
  const hasPassword = url.slice(authorityStart, userInfoEnd).includes(':');
  return `${url.slice(0, authorityStart)}${hasPassword ? `${REDACTED}:${REDACTED}` : REDACTED}${url.slice(userInfoEnd)}`;
}
