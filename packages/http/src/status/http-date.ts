/**
 * Strict parsing of an HTTP-date (RFC 9110 §5.6.7), as `Retry-After` carries one: the three forms
 * it defines, matched whole before any number is read. `Date.parse` alone made a date of any text
 * V8 could guess at (`after 10`, `Mon 2030`), and read the zone-less asctime form as local time.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = `(?<month>${MONTHS.join('|')})`;
const DAY_NAME = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY_NAME = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const TIME = '(?<hour>\\d\\d):(?<minute>\\d\\d):(?<second>\\d\\d)';

// Names are matched regardless of case: the grammar's are case-sensitive, but a server writing
// `gmt` still means a date, and a wrong case is no reason to retry at once.
const HTTP_DATE_FORMS = [
  // IMF-fixdate, the preferred form: `Sun, 06 Nov 1994 08:49:37 GMT`.
  new RegExp(`^${DAY_NAME}, (?<day>\\d\\d) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`, 'i'),
  // Obsolete RFC 850 form, a two-digit year: `Sunday, 06-Nov-94 08:49:37 GMT`.
  new RegExp(`^${LONG_DAY_NAME}, (?<day>\\d\\d)-${MONTH}-(?<yy>\\d\\d) ${TIME} GMT$`, 'i'),
  // Obsolete asctime form, the day space-padded and no zone (it is GMT): `Sun Nov  6 08:49:37 1994`.
  new RegExp(`^${DAY_NAME} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`, 'i'),
];

/**
 * The time (ms since the epoch) of an HTTP-date in any of its three forms, `undefined` for any other
 * text or a date that does not exist (`31 Feb`, hour 24). A two-digit RFC 850 year is read in the
 * century that puts it at most 50 years after `now`, as RFC 9110 asks.
 */
export function parseHttpDate(text: string, now: number): number | undefined {
  const fields = matchHttpDate(text);
  if (fields === undefined) return undefined;
  const year = fields.yy === undefined ? Number(fields.year) : fullYear(Number(fields.yy), now);
  const month = MONTHS.indexOf(fields.month?.toLowerCase() ?? '');
  const day = Number(fields.day);
  const hour = Number(fields.hour);
  const minute = Number(fields.minute);
  const second = Number(fields.second);
  // Second 60 is a leap second.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const midnight = Date.UTC(year, month, day);
  // Date.UTC rolls an overflowing day into the next month (31 Feb is 3 Mar): not a date.
  if (new Date(midnight).getUTCDate() !== day) return undefined;
  return midnight + ((hour * 60 + minute) * 60 + second) * 1_000;
}

/** The named fields of the first form `text` matches whole; undefined when it matches none. */
function matchHttpDate(text: string): Record<string, string | undefined> | undefined {
  for (const form of HTTP_DATE_FORMS) {
    const fields = form.exec(text)?.groups;
    if (fields !== undefined) return fields;
  }
  return undefined;
}

/** RFC 9110: a two-digit year more than 50 years in the future is the most recent past one ending so. */
function fullYear(twoDigits: number, now: number): number {
  const thisYear = new Date(now).getUTCFullYear();
  const candidate = thisYear - (thisYear % 100) + twoDigits;
  return candidate > thisYear + 50 ? candidate - 100 : candidate;
}
