import type { RespValue } from './redis-command.js';

/** Parses `INFO` / `CLUSTER INFO` text into fields. */
export function parseInfo(text: RespValue): Map<string, string> {
  const fields = new Map<string, string>();
  if (typeof text !== 'string') return fields;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Turns a flat `[key, value, key, value]` reply (SENTINEL REPLICAS entries) into an object. */
export function pairsToRecord(reply: RespValue): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(reply)) return record;
  for (let index = 0; index + 1 < reply.length; index += 2) record[String(reply[index])] = String(reply[index + 1]);
  return record;
}
