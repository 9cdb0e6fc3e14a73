import { diag } from '@opentelemetry/api';

interface Family {
  /** The `# HELP` line, then the `# UNIT` line if any, then the `# TYPE` line. */
  readonly comments: string[];
  readonly type: string;
  readonly samples: string[];
}

/** Names whose conflicting type was reported already (once per name, not per scrape). */
const reported = new Set<string>();

/**
 * Makes the Prometheus text of `PrometheusSerializer` one family per metric name. The serializer
 * writes a HELP/UNIT/TYPE block per instrument and scope, so an instrument recorded under two
 * scopes (Switchyard's `http.server.request.duration` and `@opentelemetry/instrumentation-http`'s,
 * or anyone's instrument that happens to share a name) came out as two blocks of one name. The text
 * format allows one HELP and one TYPE line per name, with all its samples in one group, and parsers
 * built on Prometheus' expfmt (`promtool check metrics`, Telegraf) reject the whole scrape ("second
 * HELP line for metric name"). As OpenTelemetry's Prometheus compatibility rules say: the samples
 * of blocks of one name and type go under the first block's comments (their `otel_scope_name`
 * tells them apart); a block whose type contradicts the first one's is left out, with a warning.
 * Text with no repeated name is returned as it is.
 */
export function oneFamilyPerName(text: string): string {
  if (!hasRepeatedHelp(text)) return text;
  const families = new Map<string, Family>();
  // In the order met: families, and comments that belong to none (`# no registered metrics`).
  const output: (Family | string)[] = [];
  let pending: { name: string; comments: string[] } | undefined;
  // Where the samples being read go; undefined for those of a block left out.
  let samples: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|UNIT|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (comment === null) {
      if (line.startsWith('#')) output.push(line);
      else samples?.push(line);
      continue;
    }
    const [, kind, name, rest = ''] = comment as unknown as [string, string, string, string | undefined];
    if (kind === 'HELP') {
      pending = { name, comments: [line] };
      samples = undefined;
    } else if (kind === 'UNIT') {
      pending?.comments.push(line);
    } else {
      const existing = families.get(name);
      if (existing === undefined) {
        const family: Family = {
          comments: [...(pending?.name === name ? pending.comments : []), line],
          type: rest,
          samples: [],
        };
        families.set(name, family);
        output.push(family);
        samples = family.samples;
      } else if (existing.type === rest) {
        // Same name and type under another scope: its samples join the first block (its HELP and
        // UNIT lines, which may differ, are dropped: one of each per name).
        samples = existing.samples;
      } else {
        samples = undefined;
        if (!reported.has(name)) {
          reported.add(name);
          diag.warn(
            `switchyard metrics: instruments named ${name} are recorded as both ${existing.type} and ${rest}; only the ${existing.type} is served (rename one with a View)`,
          );
        }
      }
      pending = undefined;
    }
  }
  let merged = '';
  for (const entry of output) {
    merged +=
      typeof entry === 'string'
        ? `${entry}\n`
        : `${entry.comments.join('\n')}\n${entry.samples.map((s) => `${s}\n`).join('')}`;
  }
  return merged;
}

/** Whether some `# HELP` line names a metric an earlier one did (cheap: the common case has none). */
function hasRepeatedHelp(text: string): boolean {
  const names = new Set<string>();
  let from = text.startsWith('# HELP ') ? 0 : text.indexOf('\n# HELP ');
  while (from !== -1) {
    const start = text.startsWith('# HELP ', from) ? from + 7 : from + 8;
    const end = text.indexOf(' ', start);
    const name = text.slice(start, end === -1 ? undefined : end);
    if (names.has(name)) return true;
    names.add(name);
    from = text.indexOf('\n# HELP ', start);
  }
  return false;
}
