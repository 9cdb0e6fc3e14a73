import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CatalogService,
  type OrdersService,
  orderIdFor,
  type RecommendationService,
  type SearchService,
} from '@shopping-guide/shared';
import {
  currentCallScope,
  InvalidArgumentError,
  type Logger,
  NoInstancesError,
  runInCallScope,
  SwitchyardError,
} from '@switchyard/core';
import { type GrpcClient, GrpcCallError, GrpcStatus } from '@switchyard/grpc';
import { requestContext } from '@switchyard/http';
import { mediaType, RequestFormError, readJson, sendError, sendJson } from './http-json.js';
import { trackOf } from './track.js';

/** The gRPC clients the gateway composes. */
export interface Backends {
  catalog: GrpcClient<typeof CatalogService>;
  search: GrpcClient<typeof SearchService>;
  recommendation: GrpcClient<typeof RecommendationService>;
  orders: GrpcClient<typeof OrdersService>;
}

/** How long recording a view may take before the page is served without it. */
const RECORD_VIEW_DEADLINE_MS = 150;

/**
 * The customer-facing REST API:
 * - `GET  /api/products?category=&pageSize=&pageToken=` browse
 * - `GET  /api/products/:id?user=` one product (records the view for recommendations)
 * - `GET  /api/search?q=&limit=` ranked search
 * - `GET  /api/recommendations?user=&limit=` personalised suggestions
 * - `POST /api/orders` `{ userId, lines: [{ productId, quantity }] }` with an `Idempotency-Key` header
 * - `GET  /api/orders/:id`
 *
 * HEAD is taken wherever GET is (no body; a HEAD of a product records no view). A method a
 * resource does not take is a 405 with `Allow`; an order body not sent as `application/json` a 415.
 */
export function createRouter(backends: () => Backends | undefined, logger: Logger) {
  const route = createRoutes(backends, logger);
  return (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // An unparsable target is answered 400 by the route below; here it only has no `user`.
    const target = request.url ?? '/';
    const user =
      (URL.canParse(target, 'http://gateway') ? new URL(target, 'http://gateway').searchParams.get('user') : null) ??
      (request.headers['x-user-id'] as string | undefined);
    return inTrack(trackOf(request, user), () => route(request, response));
  };
}

/**
 * Runs `fn` in the current call scope (deadline, trace propagation, track; `track` instead when
 * given) without its signal, so the downstream calls it makes are not cancelled when the shopper
 * goes away: the served request's signal aborts then, and clients link their calls to the scope's.
 */
function detachedFromShopper<T>(track: string | undefined, fn: () => T): T {
  const scope = currentCallScope();
  return runInCallScope(
    {
      ...scope,
      deadline: scope?.deadline ?? Number.POSITIVE_INFINITY,
      signal: undefined,
      ...(track === undefined ? {} : { track }),
    },
    fn,
  );
}

/** Runs `fn` with `track` in the call scope, so every downstream call carries it (baggage). */
function inTrack<T>(track: string | undefined, fn: () => T): T {
  if (track === undefined) return fn();
  const scope = currentCallScope();
  return runInCallScope({ deadline: scope?.deadline ?? Number.POSITIVE_INFINITY, ...scope, track }, fn);
}

function createRoutes(backends: () => Backends | undefined, logger: Logger) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const clients = backends();
      if (!clients) throw new NoInstancesError('gateway', 'starting');
      const url = requestUrl(request);
      const parts = url.pathname.split('/').filter(Boolean);
      const method = request.method ?? 'GET';
      if (parts[0] !== 'api')
        return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } });
      const query = url.searchParams;
      // Aborts when the shopper goes away (or their deadline passes): a read nobody waits for any
      // more is cancelled downstream, instead of holding a handler there until the client's default
      // deadline (10 s). Undefined outside the SDK's httpHandler (unit tests).
      const signal = requestContext(request)?.signal;
      const cancel = signal ? { signal } : {};
      // `/api/<resource>` or `/api/<resource>/<id>`; anything deeper matches no route.
      const shape = parts.length === 2 ? '' : parts.length === 3 ? '/:id' : '/:id/…';
      const resource = `${parts[1] ?? ''}${shape}`;
      const allowed = Object.hasOwn(RESOURCE_METHODS, resource) ? RESOURCE_METHODS[resource] : undefined;
      if (allowed === undefined) {
        return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` } });
      }
      // A resource that exists but does not take this method is a 405 naming the ones it takes
      // (`Allow`), not a 404 saying it does not exist (`DELETE /api/orders`, `GET /api/orders`).
      if (!allowed.includes(method)) {
        const allow = allowed.join(', ');
        return sendJson(
          response,
          405,
          { error: { code: 'UNIMPLEMENTED', message: `${url.pathname} does not take ${method} (it takes ${allow})` } },
          { allow },
        );
      }
      // HEAD is answered as GET: Node leaves the body out of a reply to HEAD.
      const head = method === 'HEAD';
      switch (`${head ? 'GET' : method} ${resource}`) {
        case 'GET products': {
          const listed = await restNamed(PRODUCT_FIELDS, () =>
            clients.catalog.listProducts(
              {
                category: queryParam(query, 'category') ?? '',
                pageSize: numberParam(query, 'pageSize', 20, 1, 100),
                pageToken: queryParam(query, 'pageToken') ?? '',
              },
              cancel,
            ),
          );
          return sendJson(response, 200, listed);
        }
        case 'GET products/:id': {
          const id = pathSegment(parts[2] as string, 'id');
          const user = queryParam(query, 'user') ?? (request.headers['x-user-id'] as string | undefined);
          const { product } = await clients.catalog.getProduct({ id }, cancel);
          // Only a product that exists counts as viewed (a 404 must not feed recommendations). Best
          // effort: a slow or failed view record never fails the page. A HEAD (a link checker, a
          // prefetch) shows nothing to anyone, so it is no view.
          if (user && !head) {
            await clients.recommendation
              .recordView(
                { userId: user, productId: id },
                { deadlineMs: RECORD_VIEW_DEADLINE_MS, key: user, ...cancel },
              )
              .catch(() => undefined);
          }
          return sendJson(response, 200, { product });
        }
        case 'GET search': {
          const q = queryParam(query, 'q') ?? '';
          if (!q.trim()) throw new InvalidArgumentError('q', 'must be a non-empty search query');
          const limit = numberParam(query, 'limit', 10, 1, 50);
          return sendJson(
            response,
            200,
            await restNamed(SEARCH_FIELDS, () => clients.search.search({ query: q, limit }, cancel)),
          );
        }
        case 'GET recommendations': {
          // Same rule as the views above and the track: ?user=, else x-user-id (a client naming its
          // users by header had its views recorded, then got 400 here).
          const user = queryParam(query, 'user') ?? (request.headers['x-user-id'] as string | undefined);
          if (!user) throw new InvalidArgumentError('user', 'is required (?user= or the x-user-id header)');
          const limit = numberParam(query, 'limit', 5, 1, 20);
          return sendJson(
            response,
            200,
            await restNamed(RECOMMENDATION_FIELDS, () =>
              // Keyed: the replica holding this user's views (see gateway.ts).
              clients.recommendation.recommend({ userId: user, limit }, { key: user, ...cancel }),
            ),
          );
        }
        case 'POST orders': {
          // JSON only, said by its Content-Type. Any other type (text/plain, a form) is what a page
          // on any site may send cross-origin without a CORS preflight: read as JSON all the same,
          // such a request placed an order, and took its stock, for whoever the page named.
          const type = mediaType(request);
          if (type !== 'application/json') {
            const got = type === undefined ? 'none' : JSON.stringify(type.slice(0, 64));
            throw new RequestFormError(415, 'content-type', `must be application/json, got ${got}`);
          }
          const body = (await readJson(request)) as { userId?: unknown; lines?: unknown };
          onlyKnownFields(body, ORDER_BODY_FIELDS, '', 'an order');
          if (typeof body?.userId !== 'string' || !Array.isArray(body.lines)) {
            throw new InvalidArgumentError('body', 'must be { userId: string, lines: [{ productId, quantity }] }');
          }
          // Without the client's key, one of our own: PlaceOrder is retried (on UNAVAILABLE, e.g.
          // a connection dropped after the order was taken), and every attempt must carry the same
          // key, or a retry places the order, and reserves its stock, a second time.
          const shopperKey = (request.headers['idempotency-key'] as string | undefined) || undefined;
          const idempotencyKey = shopperKey ?? randomUUID();
          const lines = orderLines(body.lines);
          const userId = wellFormed('userId', body.userId);
          // The user's A/B track, as on every route: a user bucketed to b by id orders on b too (the
          // router saw no user here unless `?user=` or `x-user-id` named one, which still win).
          const user = queryParam(query, 'user') ?? (request.headers['x-user-id'] as string | undefined) ?? userId;
          // Under the shopper's own key, not cancelled when the shopper goes away: left to finish,
          // the order is stored for their retry with that key, which, had it been cancelled (and
          // its stock given back by orders), would have to place it anew, and might find the stock
          // gone. Passing no signal was not enough: the call inherited the request's from its call
          // scope. Under a key of ours, nobody can ever ask for this order (a retry of theirs is
          // another order): it is cancelled with the shopper, as a read is.
          const scoped = shopperKey === undefined ? inTrack : detachedFromShopper;
          const { order } = await restNamed(ORDER_FIELDS, () =>
            scoped(trackOf(request, user), () =>
              clients.orders.placeOrder(
                { userId, lines, idempotencyKey },
                {
                  // The id the order will have: GET /api/orders/:id then reaches the replica holding it.
                  // (PlaceOrder is IDEMPOTENT in its proto, its key required: retried even after a
                  // failure that may have reached orders, a replica killed mid-call.)
                  key: orderIdFor(userId, idempotencyKey),
                },
              ),
            ),
          );
          return sendJson(response, order?.status === 'placed' ? 201 : 409, { order });
        }
        case 'GET orders/:id': {
          const id = pathSegment(parts[2] as string, 'id');
          return sendJson(response, 200, await clients.orders.getOrder({ id }, { key: id, ...cancel }));
        }
        default:
          return sendJson(response, 404, {
            error: { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` },
          });
      }
    } catch (error) {
      sendError(response, error, logger);
    }
  };
}

/**
 * A query parameter's value (null when absent), refused when it is given more than once: only the
 * first was read, so `?category=books&category=toys`, which many clients mean as "either", listed
 * books alone, and `?q=tent&q=lamp` searched for a tent, without a word about the rest.
 */
function queryParam(query: URLSearchParams, name: string): string | null {
  const values = query.getAll(name);
  if (values.length > 1) {
    throw new InvalidArgumentError(name, `must be given at most once, got ${values.length} values`);
  }
  return values[0] ?? null;
}

/**
 * An integer query parameter: decimal digits only. `Number()` alone took `0x10`, `1e1`, `+5`, ` 5`
 * and `1.0` as numbers, so a malformed request was served as if it were another.
 */
function numberParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = queryParam(query, name);
  if (raw === null) return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(name, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * The request's URL. Node's parser accepts targets that are no URL (`//[`, an invalid host): that
 * is the caller's error (400), not the gateway's (a 500 logged as an error).
 */
function requestUrl(request: IncomingMessage): URL {
  try {
    return new URL(request.url ?? '/', 'http://gateway');
  } catch {
    throw new InvalidArgumentError(
      'url',
      `is not a valid request target: ${JSON.stringify(request.url?.slice(0, 64))}`,
    );
  }
}

/** A percent-decoded path segment; a malformed escape (`%E0%A4%A`) is the caller's error. */
function pathSegment(raw: string, field: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidArgumentError(field, `is not validly percent-encoded: ${JSON.stringify(raw.slice(0, 64))}`);
  }
}

/**
 * A string from the JSON body, refused if it holds a lone surrogate (JSON may escape one:
 * `"\ud800"`). Protobuf sends it as bytes the receiver decodes to U+FFFD, so the service works on
 * another string than the gateway: an order's id (from the user id) was not the one its calls are
 * routed by, and users differing only in such a character shared one order.
 */
function wellFormed(field: string, value: string): string {
  // With the `u` flag a valid pair is one code point: only a lone surrogate matches.
  if (/\p{Surrogate}/u.test(value)) {
    throw new InvalidArgumentError(field, 'must be well-formed Unicode (it holds a lone surrogate)');
  }
  return value;
}

/**
 * Order lines as the JSON body gives them, checked for type before they meet protobuf: its uint32
 * encoding would turn a quantity of 4294967297 or 1.5 into 1 and place that order. (Ranges and
 * limits are the orders service's to check.)
 */
function orderLines(lines: unknown[]): { productId: string; quantity: number }[] {
  return lines.map((line, index) => {
    onlyKnownFields(line, ORDER_LINE_FIELDS, `lines[${index}].`, 'an order line');
    const { productId, quantity } = (line ?? {}) as { productId?: unknown; quantity?: unknown };
    if (typeof productId !== 'string') {
      throw new InvalidArgumentError(`lines[${index}].productId`, 'must be a string');
    }
    wellFormed(`lines[${index}].productId`, productId);
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 0xffff_ffff) {
      throw new InvalidArgumentError(
        `lines[${index}].quantity`,
        `must be a whole number from 1, got ${JSON.stringify(quantity)}`,
      );
    }
    return { productId, quantity };
  });
}

/**
 * The methods each resource takes, by the route's shape: HEAD wherever GET is taken. A path of
 * another shape (`/api/nothing`, `/api/orders/<id>/lines`) is a 404, a method not listed a 405.
 */
const RESOURCE_METHODS: Readonly<Record<string, readonly string[]>> = {
  products: ['GET', 'HEAD'],
  'products/:id': ['GET', 'HEAD'],
  search: ['GET', 'HEAD'],
  recommendations: ['GET', 'HEAD'],
  orders: ['POST'],
  'orders/:id': ['GET', 'HEAD'],
};

const ORDER_BODY_FIELDS = ['userId', 'lines'];
const ORDER_LINE_FIELDS = ['productId', 'quantity'];

/**
 * Refuses a JSON object's fields other than `known`, naming the first: ignored, they were garbage
 * silently accepted, and some cost the shopper: an `idempotencyKey` sent in the body instead of
 * the header was dropped, so each retry placed (and reserved stock for) another order, and a
 * misspelt `qty` placed an order for 1. Anything but an object is left to the shape checks.
 */
function onlyKnownFields(value: unknown, known: readonly string[], prefix: string, what: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown === undefined) return;
  const expected = /^idempotency[-_]?key$/i.test(unknown)
    ? 'send the key as the Idempotency-Key header'
    : known.join(', ');
  // A field name is echoed only when it looks like one (bounded, no control characters).
  if (/^[\w$-]{1,64}$/.test(unknown)) {
    throw new InvalidArgumentError(`${prefix}${unknown}`, `is not a field of ${what} (${expected})`);
  }
  throw new InvalidArgumentError(
    prefix ? prefix.slice(0, -1) : 'body',
    `holds a field that is not one of ${what} (${expected})`,
  );
}

/**
 * How this API names the fields the services' refusals name by their protobuf names: a 400 said
 * `user_id: must be 1 to 128 characters` for the body's `userId`, `idempotency_key` for the
 * `Idempotency-Key` header, `query` for `?q=`. Each route's map, by path segment.
 */
const PRODUCT_FIELDS: Readonly<Record<string, string>> = { page_token: 'pageToken', page_size: 'pageSize' };
const SEARCH_FIELDS: Readonly<Record<string, string>> = { query: 'q' };
const RECOMMENDATION_FIELDS: Readonly<Record<string, string>> = { user_id: 'user' };
const ORDER_FIELDS: Readonly<Record<string, string>> = {
  user_id: 'userId',
  idempotency_key: 'Idempotency-Key',
  product_id: 'productId',
};

/**
 * Runs a downstream call; a refusal about a field (INVALID_ARGUMENT, or ALREADY_EXISTS for a reused
 * idempotency key) is told with this API's name for the field, from `renames`. The service's rule
 * (its limits) stays the one source of truth; only the name changes.
 */
async function restNamed<T>(renames: Readonly<Record<string, string>>, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw renamedField(error, renames);
  }
}

function renamedField(error: unknown, renames: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof GrpcCallError)) return error;
  const invalid = error.grpcCode === GrpcStatus.INVALID_ARGUMENT;
  if (!invalid && error.grpcCode !== GrpcStatus.ALREADY_EXISTS) return error;
  const separator = error.details.indexOf(': ');
  if (separator < 0) return error;
  const field = error.details.slice(0, separator);
  const rule = error.details.slice(separator + 2);
  // `lines[1].product_id` → `lines[1].productId`: each segment's name, its index kept.
  const renamed = field.replace(
    /[A-Za-z_]\w*/g,
    (name) => (Object.hasOwn(renames, name) ? renames[name] : name) as string,
  );
  if (renamed === field) return error;
  return invalid
    ? new InvalidArgumentError(renamed, rule, { cause: error })
    : new SwitchyardError('ALREADY_EXISTS', `${renamed}: ${rule}`, { cause: error });
}
