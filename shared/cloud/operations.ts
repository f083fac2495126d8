/**
 * Client operations as standalone functions of (http, ...arguments). A client binds the operations it
 * offers to its service's CloudHttp: `createDmsClient` and the others bind them all (CLI, tests); each
 * function (functions/*) binds only the operations its step calls, so its bundle carries no other
 * operation and no other response schema (docs/BENCHMARKS.md §5).
 */
import type { CloudHttp } from './types.js';

/** Client method `M` as an operation: the same arguments after the service's CloudHttp. */
export type Operation<M> = M extends (...args: infer A) => infer R
  ? (http: CloudHttp, ...args: A) => R
  : never;

// biome-ignore lint/suspicious/noExplicitAny: the widest operation type, for constraints only.
type AnyOperation = (http: CloudHttp, ...args: any[]) => unknown;

/** The methods a set of operations becomes once bound to a CloudHttp. */
export type Bound<O> = {
  [K in keyof O]: O[K] extends (http: CloudHttp, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/** Binds each operation of `operations` to `http`: `bound.getEndpoint(id)` is `getEndpoint(http, id)`. */
export function bindOperations<O extends Record<string, AnyOperation>>(
  http: CloudHttp,
  operations: O,
): Bound<O> {
  const bound: Record<string, unknown> = {};
  for (const [name, operation] of Object.entries(operations)) {
    bound[name] = (...args: unknown[]) => operation(http, ...args);
  }
  return bound as Bound<O>;
}
