import type { CatalogService, Product__Output } from '@shopping-guide/shared';
import { type Logger, silentLogger } from '@switchyard/core';
import type { GrpcClient } from '@switchyard/grpc';
import { SearchIndex, type SearchIndexOptions } from './search-index.js';

/** The catalog call the indexer makes (a Switchyard gRPC client, or a fake in tests). */
export type CatalogLister = Pick<GrpcClient<typeof CatalogService>, 'listProducts'>;

/** Options for {@link CatalogIndexer}. */
export interface CatalogIndexerOptions {
  /** Time between rebuilds once an index exists. @default 30_000 */
  refreshIntervalMs?: number;
  /** First retry delay after a failed build; doubles up to the refresh interval. @default 500 */
  retryInitialMs?: number;
  /** Deadline of each ListProducts call (background work has no caller's deadline to inherit). @default 5_000 */
  callDeadlineMs?: number;
  index?: SearchIndexOptions;
  /** @default silentLogger */
  logger?: Logger;
}

/** Defaults of {@link CatalogIndexerOptions}. */
export const DEFAULT_CATALOG_INDEXER_OPTIONS = Object.freeze({
  refreshIntervalMs: 30_000,
  retryInitialMs: 500,
  callDeadlineMs: 5_000,
});

const PAGE_SIZE = 100;
const MAX_PAGES = 1_000;

/**
 * Keeps a search index of the catalog: builds it from every page of ListProducts at start, then
 * again every refresh interval. A failed build keeps the previous index and retries with backoff;
 * until the first build succeeds there is no index (`current()` is undefined). Timers are
 * unref'd; `stop()` ends them.
 */
export class CatalogIndexer {
  private index: SearchIndex | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private readonly settings: { refreshIntervalMs: number; retryInitialMs: number; callDeadlineMs: number };
  private readonly logger: Logger;

  constructor(
    private readonly catalog: CatalogLister,
    private readonly options: CatalogIndexerOptions = {},
  ) {
    const { index: _index, logger = silentLogger, ...timing } = options;
    this.settings = { ...DEFAULT_CATALOG_INDEXER_OPTIONS, ...timing };
    this.logger = logger;
  }

  private indexed!: () => void;
  /** Resolves when the first index is in place. */
  readonly firstIndex: Promise<void> = new Promise((resolve) => {
    this.indexed = resolve;
  });

  /** The latest index, or undefined until the first build succeeds. */
  current(): SearchIndex | undefined {
    return this.index;
  }

  /** Builds the first index now (in the background) and keeps refreshing it. */
  start(): void {
    this.stopped = false;
    void this.run();
  }

  /** Builds an index now; resolves when it is in place. Rejects (keeping the old index) if the catalog fails. */
  async refresh(): Promise<SearchIndex> {
    const products: Product__Output[] = [];
    let pageToken = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await this.catalog.listProducts(
        { pageSize: PAGE_SIZE, pageToken },
        { deadlineMs: this.settings.callDeadlineMs },
      );
      products.push(...response.products);
      pageToken = response.nextPageToken;
      if (!pageToken) break;
    }
    const first = this.index === undefined;
    this.index = new SearchIndex(products, this.options.index);
    if (first || this.failures > 0) this.logger.info({ index: String(this.index) }, 'search index built');
    if (first) this.indexed();
    this.failures = 0;
    return this.index;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    let delayMs = this.settings.refreshIntervalMs;
    try {
      await this.refresh();
    } catch (error) {
      // A rebuild in flight when the service stops fails as its catalog client closes: that is the
      // stop, not a catalog outage worth a warning.
      if (this.stopped) {
        this.logger.debug({ err: error }, 'search index build ended by stop');
        return;
      }
      this.failures++;
      delayMs = Math.min(this.settings.retryInitialMs * 2 ** (this.failures - 1), this.settings.refreshIntervalMs);
      // Once per outage at warn; the retries after it at debug.
      const fields = { err: error, retryInMs: delayMs, hasIndex: this.index !== undefined };
      if (this.failures === 1) this.logger.warn(fields, 'search index build failed');
      else this.logger.debug(fields, 'search index build failed');
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref();
  }
}
