/** Options for {@link ViewHistory}. */
export interface ViewHistoryOptions {
  /** Recent distinct products remembered per user. @default 20 */
  viewsPerUser?: number;
  /** Users remembered; the least recently active is forgotten first. @default 10_000 */
  maxUsers?: number;
  /** Products with view counters; views of further products still enter user histories. @default 10_000 */
  maxProducts?: number;
  /** Half-life of the trending score. @default 600_000 (10 min) */
  trendingHalfLifeMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Defaults of {@link ViewHistoryOptions}. */
export const DEFAULT_VIEW_HISTORY_OPTIONS = Object.freeze({
  viewsPerUser: 20,
  maxUsers: 10_000,
  maxProducts: 10_000,
  trendingHalfLifeMs: 600_000,
});

/**
 * Browsing history in this replica's memory, bounded in every dimension: each user's most
 * recent distinct views, all-time view counts per product (popularity) and an exponentially
 * decaying count (trending).
 */
export class ViewHistory {
  private readonly users = new Map<string, string[]>();
  private readonly counts = new Map<string, { total: number; trend: number; at: number }>();
  private readonly options: Required<Omit<ViewHistoryOptions, 'now'>>;
  private readonly now: () => number;

  constructor(options: ViewHistoryOptions = {}) {
    const { now = Date.now, ...rest } = options;
    this.options = { ...DEFAULT_VIEW_HISTORY_OPTIONS, ...rest };
    this.now = now;
  }

  /** Number of users remembered. */
  get userCount(): number {
    return this.users.size;
  }

  record(userId: string, productId: string): void {
    const previous = this.users.get(userId);
    const views = [productId, ...(previous ?? []).filter((id) => id !== productId)].slice(0, this.options.viewsPerUser);
    // Re-inserting moves the user to the end: the first key is always the least recently active.
    this.users.delete(userId);
    this.users.set(userId, views);
    if (this.users.size > this.options.maxUsers) this.users.delete(this.users.keys().next().value as string);

    const now = this.now();
    const count = this.counts.get(productId);
    if (count) {
      count.trend = this.decayed(count, now) + 1;
      count.total++;
      count.at = now;
    } else if (this.counts.size < this.options.maxProducts) {
      this.counts.set(productId, { total: 1, trend: 1, at: now });
    }
  }

  /** The user's recently viewed products, most recent first. */
  recent(userId: string): readonly string[] {
    return this.users.get(userId) ?? [];
  }

  /** All-time views of a product on this replica. */
  views(productId: string): number {
    return this.counts.get(productId)?.total ?? 0;
  }

  /** Recent views of a product, each counting half after every half-life. */
  trend(productId: string): number {
    const count = this.counts.get(productId);
    return count ? this.decayed(count, this.now()) : 0;
  }

  toString(): string {
    const { viewsPerUser, maxUsers, trendingHalfLifeMs } = this.options;
    return `ViewHistory(viewsPerUser=${viewsPerUser}, maxUsers=${maxUsers}, trendingHalfLifeMs=${trendingHalfLifeMs})`;
  }

  private decayed(count: { trend: number; at: number }, now: number): number {
    return count.trend * 2 ** (-(now - count.at) / this.options.trendingHalfLifeMs);
  }
}
