import { Redis } from 'ioredis';

/**
 * Makes `service` unreadable in the registry at `url` (default namespace): its route key becomes a
 * list, so every read of the service fails with WRONGTYPE, as garbage written by hand or by a
 * foreign tool sharing the namespace would make it.
 */
export async function makeServiceUnreadable(url: string, service: string): Promise<void> {
  const raw = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await raw.del(`switchyard:{${service}}:route`);
    await raw.rpush(`switchyard:{${service}}:route`, 'not-a-rule');
  } finally {
    raw.disconnect();
  }
}
