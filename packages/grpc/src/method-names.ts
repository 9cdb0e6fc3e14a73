/**
 * Type-level helpers shared by the typed client and the typed server bindings.
 *
 * Generated definitions (`interface CatalogServiceDefinition extends grpc.ServiceDefinition`)
 * inherit grpc-js's string index signature, so `keyof D` is `string | number | 'GetProduct' | …`:
 * mapped over as it is, every name is a method. These keep the declared names apart from the
 * index signature, so a typed definition offers only its methods while an untyped one (from
 * `loadService()` alone, an index signature and nothing else) stays open to any name.
 */

/** K itself when it is a declared (literal) key; never for an index signature's `string` / `number`. */
export type KnownKey<K> = string extends K ? never : number extends K ? never : K;

/** The declared method names of a definition; never for an untyped one (index signature only). */
export type DeclaredMethod<D> = keyof { [K in keyof D as KnownKey<K>]: 1 };

/** K when D declares methods and K is one of them, K unchanged when D is untyped, else never. */
export type MethodKey<D, K> = [DeclaredMethod<D>] extends [never] ? K : KnownKey<K>;
