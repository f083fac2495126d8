/**
 * Reads serverless.yml the way the Serverless Framework would (for the subset this project uses):
 * YAML with anchors, and `${self:a.b}`, `${env:NAME, default}`, `${opt:name, default}` variables with
 * fallbacks. The result is a typed list of functions and their triggers.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as z from 'zod';

/** Every trigger type code of FunctionGraph's create-trigger API (reference §2). */
export const TRIGGER_TYPES = [
  'SMN',
  'TIMER',
  'CTS',
  'KAFKA',
  'OPENSOURCEKAFKA',
  'RABBITMQ',
  'APIG',
  'DEDICATEDGATEWAY',
  'APIC',
  'DMS',
  'DDS',
  'GAUSSMONGO',
  'OBS',
  'LTS',
  'DIS',
  'EVENTGRID',
] as const;

const triggerSchema = z.looseObject({
  // Every type code of the create-trigger API (reference §2), so a valid file is never refused here;
  // the local runtime itself emulates SMN, TIMER and CTS and reports the others as not emulated.
  triggerTypeCode: z.enum(TRIGGER_TYPES),
  status: z.enum(['ACTIVE', 'DISABLED']).default('ACTIVE'),
  eventData: z.record(z.string(), z.unknown()).default({}),
});

const asyncInvokeSchema = z
  .looseObject({
    maxAsyncRetryAttempts: z.coerce.number().int().min(0).max(3).default(2),
    maxAsyncEventAgeInSeconds: z.coerce.number().int().min(1).max(86_400).default(3600),
    onFailure: z.looseObject({ destination: z.string(), topicUrn: z.string().optional() }).optional(),
  })
  .default({ maxAsyncRetryAttempts: 2, maxAsyncEventAgeInSeconds: 3600 });

const functionSchema = z.looseObject({
  handler: z.string().regex(/^[\w./-]+\.[A-Za-z_$][\w$]*$/, 'handler must look like file.export'),
  description: z.string().optional(),
  timeout: z.coerce.number().int().min(3).max(259_200).optional(),
  memorySize: z.coerce.number().int().optional(),
  xrole: z.string().optional(),
  userData: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  asyncInvoke: asyncInvokeSchema,
  events: z.array(triggerSchema).default([]),
});

const serverlessSchema = z.looseObject({
  service: z.string(),
  provider: z.looseObject({
    name: z.literal('huawei'),
    runtime: z.string(),
    region: z.string(),
    memorySize: z.coerce.number().int().default(256),
    timeout: z.coerce.number().int().default(30),
  }),
  functions: z.record(z.string(), functionSchema),
});

export type TriggerSpec = z.infer<typeof triggerSchema>;
export type FunctionSpec = z.infer<typeof functionSchema> & {
  name: string;
  timeout: number;
  memorySize: number;
  userData: Record<string, string>;
};
export interface ServerlessSpec {
  service: string;
  region: string;
  runtime: string;
  functions: FunctionSpec[];
}

export class ServerlessConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerlessConfigError';
  }
}

export interface ResolveSources {
  env: Record<string, string | undefined>;
  opt?: Record<string, string | undefined>;
}

export function loadServerless(path: string, sources: ResolveSources): ServerlessSpec {
  return parseServerless(readFileSync(path, 'utf8'), sources);
}

export function parseServerless(text: string, sources: ResolveSources): ServerlessSpec {
  const raw: unknown = parse(text, { merge: true });
  const resolved = resolveVariables(raw, raw, sources, 0);
  const parsed = serverlessSchema.safeParse(resolved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ServerlessConfigError(`serverless.yml: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const { provider } = parsed.data;
  return {
    service: parsed.data.service,
    region: provider.region,
    runtime: provider.runtime,
    functions: Object.entries(parsed.data.functions).map(([name, fn]) => ({
      ...fn,
      name,
      timeout: fn.timeout ?? provider.timeout,
      memorySize: fn.memorySize ?? provider.memorySize,
      userData: Object.fromEntries(Object.entries(fn.userData).map(([k, v]) => [k, String(v)])),
    })),
  };
}

const VARIABLE = /\$\{([^{}]+)\}/g;

function resolveVariables(node: unknown, root: unknown, sources: ResolveSources, depth: number): unknown {
  if (depth > 20) throw new ServerlessConfigError('serverless.yml: variables nest too deeply (a cycle?)');
  if (typeof node === 'string') return resolveString(node, root, sources, depth);
  if (Array.isArray(node)) return node.map((item) => resolveVariables(item, root, sources, depth));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, resolveVariables(v, root, sources, depth)]),
    );
  }
  return node;
}

function resolveString(text: string, root: unknown, sources: ResolveSources, depth: number): unknown {
  const whole = text.match(/^\$\{([^{}]+)\}$/);
  if (whole?.[1]) return resolveExpression(whole[1], root, sources, depth);
  return text.replace(VARIABLE, (_, expr: string) =>
    String(resolveExpression(expr, root, sources, depth) ?? ''),
  );
}

/** `a, b, 'literal'`: the first source that yields a value wins. */
function resolveExpression(
  expression: string,
  root: unknown,
  sources: ResolveSources,
  depth: number,
): unknown {
  for (const candidate of splitFallbacks(expression)) {
    const value = resolveSource(candidate.trim(), root, sources, depth);
    if (value !== undefined && value !== null) return value;
  }
  throw new ServerlessConfigError(`serverless.yml: cannot resolve \${${expression}}`);
}

function splitFallbacks(expression: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const char of expression) {
    if ((char === "'" || char === '"') && (quote === undefined || quote === char))
      quote = quote ? undefined : char;
    if (char === ',' && !quote) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function resolveSource(source: string, root: unknown, sources: ResolveSources, depth: number): unknown {
  const literal = source.match(/^(['"])(.*)\1$/);
  if (literal) return literal[2];
  if (/^-?\d+(\.\d+)?$/.test(source)) return Number(source);
  const [kind, ...rest] = source.split(':');
  const address = rest.join(':');
  switch (kind) {
    case 'env':
      return sources.env[address] === '' ? undefined : sources.env[address];
    case 'opt':
      return sources.opt?.[address];
    case 'self': {
      let node: unknown = root;
      for (const key of address.split('.')) {
        node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
      }
      return node === undefined ? undefined : resolveVariables(node, root, sources, depth + 1);
    }
    default:
      throw new ServerlessConfigError(
        `serverless.yml: unsupported variable source "${kind}" in \${${source}}`,
      );
  }
}
