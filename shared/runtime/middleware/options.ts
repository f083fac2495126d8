/** Options validation shared by the middleware factories (run at cold start, not per event). */
import * as z from 'zod';
import { MiddlewareOptionsError } from '../errors.js';

export const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { error: `${what} must be a function` });

export const StepSchema = z
  .string({ error: 'step must be a string' })
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'step must be 1-64 characters of [a-z0-9-], starting with a letter');

export function validateOptions<T>(middleware: string, schema: z.ZodType<T>, options: unknown): T {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new MiddlewareOptionsError(middleware, `${path}${issue?.message ?? 'invalid options'}`);
}
