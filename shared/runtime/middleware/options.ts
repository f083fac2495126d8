/** Options validation shared by the middleware factories (run at cold start, not per event). */
import * as z from '../../zod.js';
import { MiddlewareOptionsError, UnknownOptionError } from '../errors.js';

export const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { error: `${what} must be a function` });

export const StepSchema = z
  .string({ error: 'step must be a string' })
  .check(
    z.regex(/^[a-z][a-z0-9-]{0,63}$/, 'step must be 1-64 characters of [a-z0-9-], starting with a letter'),
  );

/** Validates against a strict schema: an unknown key is an `UnknownOptionError` naming it. */
export function validateOptions<T>(middleware: string, schema: z.ZodMiniType<T>, options: unknown): T {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    throw new UnknownOptionError(middleware, [...issue.path, issue.keys[0]].join('.'));
  }
  const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new MiddlewareOptionsError(middleware, `${path}${issue?.message ?? 'invalid options'}`);
}
