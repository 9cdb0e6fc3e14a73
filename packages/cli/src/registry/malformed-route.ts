import { validateRouteRule } from '@switchyard/core';
import type { CommandContext } from '../command.js';
import { terminalSafe } from '../format/table.js';

/** How much of a malformed stored rule is shown. */
const MALFORMED_SHOWN = 200;

/**
 * The stored route rule of `service` when it is one the registry cannot read (read raw through the
 * LeaseInspector), else undefined; also undefined when Redis cannot be read that way. The registry's
 * getRoute() reports such a rule as none, while the clients keep routing by the rule they had.
 */
export async function malformedRoute(context: CommandContext, service: string): Promise<string | undefined> {
  const stored = await context
    .registry()
    .inspector()
    ?.storedRoute(service)
    .catch(() => undefined);
  if (stored === undefined) return undefined;
  try {
    validateRouteRule(JSON.parse(stored));
    return undefined; // a valid rule written since getRoute() read: not malformed
  } catch {
    return stored;
  }
}

/** What `route get` and `ls <service>` say of a malformed stored rule (made safe for a terminal). */
export function describeMalformedRoute(service: string, stored: string): string {
  const shown = stored.length > MALFORMED_SHOWN ? `${stored.slice(0, MALFORMED_SHOWN)}…` : stored;
  return terminalSafe(
    `malformed, ignored by clients (they keep the rule they had before): ${shown} ` +
      `(switchyard route clear ${service} removes it)`,
  );
}
