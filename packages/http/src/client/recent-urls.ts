import { originOf } from './http-pools.js';

/** A recently built `url.full`, by what it was built from. */
interface RecentUrl {
  scheme: string;
  host: string;
  port: number;
  path: string;
  url: string;
}

/**
 * One HTTP client's last few `url.full` strings (for its attempt spans), so that the same origin and
 * path give the same string object as last time: a client calls the same few instances and paths
 * over and over, and an identical string saves building it and lets the span encoder match its
 * attribute set by a pointer comparison. Bounded: the eight most recently built are kept.
 */
export class RecentUrls {
  private readonly entries: RecentUrl[] = [];
  private next = 0;

  constructor(private readonly size = 8) {}

  /** `scheme://host:port` + `path`, bracketing an IPv6 host, as {@link originOf} does. */
  urlOf(scheme: string, host: string, port: number, path: string): string {
    for (const entry of this.entries) {
      if (entry.path === path && entry.port === port && entry.host === host && entry.scheme === scheme) {
        return entry.url;
      }
    }
    const entry = { scheme, host, port, path, url: `${originOf(scheme, host, port)}${path}` };
    if (this.entries.length < this.size) this.entries.push(entry);
    else {
      this.entries[this.next] = entry;
      this.next = (this.next + 1) % this.size;
    }
    return entry.url;
  }
}
