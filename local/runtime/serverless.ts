/**
 * Reads serverless.yml the way the Serverless Framework would (for the subset this project uses):
 * YAML with anchors, and `${self:a.b}`, `${env:NAME, default}`, `${opt:name, default}` variables with
 * fallbacks, then the deployer's schema (deploy/serverless-schema.ts), so both read the same file the
 * same way, defaults included. The result is a typed list of functions and their triggers.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  ASYNC_INVOKE_DEFAULTS,
  defaultTriggerStatus,
  describeIssue,
  serviceSchema,
  TRIGGER_TYPES,
  type TriggerStatus,
  type TriggerType,
} from '../../deploy/serverless-schema.js';

export { TRIGGER_TYPES };

/** A trigger of a function, its status resolved (the FunctionGraph default when serverless.yml has none). */
export interface TriggerSpec {
  triggerTypeCode: TriggerType;
  status: TriggerStatus;
  eventData: Record<string, unknown>;
}

export interface AsyncInvokeSpec {
  maxAsyncRetryAttempts: number;
  maxAsyncEventAgeInSeconds: number;
  /** Only an SMN destination (`topicUrn`) is delivered by the local runtime. */
  onFailure?: { destination: string; topicUrn?: string };
}

export interface FunctionSpec {
  name: string;
  handler: string;
  description?: string;
  timeout: number;
  memorySize: number;
  xrole?: string;
  userData: Record<string, string>;
  asyncInvoke: AsyncInvokeSpec;
  events: TriggerSpec[];
}

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
  const parsed = serviceSchema.safeParse(resolved);
  if (!parsed.success) throw new ServerlessConfigError(describeIssue(parsed.error), { cause: parsed.error });
  const { provider } = parsed.data;
  return {
    service: parsed.data.service,
    region: provider.region,
    runtime: provider.runtime,
    functions: Object.entries(parsed.data.functions ?? {}).map(([name, fn]): FunctionSpec => {
      const asyncInvoke = fn.asyncInvoke ?? ASYNC_INVOKE_DEFAULTS;
      const onFailure = fn.asyncInvoke?.onFailure;
      const xrole = fn.xrole || provider.xrole;
      return {
        name,
        handler: fn.handler,
        ...(fn.description !== undefined ? { description: fn.description } : {}),
        timeout: fn.timeout ?? provider.timeout,
        memorySize: fn.memorySize ?? provider.memorySize,
        ...(xrole ? { xrole } : {}),
        // As the deployer writes it: null is an empty value.
        userData: Object.fromEntries(
          Object.entries(fn.userData).map(([k, v]) => [k, v === null ? '' : String(v)]),
        ),
        asyncInvoke: {
          maxAsyncRetryAttempts: asyncInvoke.maxAsyncRetryAttempts,
          maxAsyncEventAgeInSeconds: asyncInvoke.maxAsyncEventAgeInSeconds,
          ...(onFailure
            ? {
                onFailure: {
                  destination: onFailure.destination,
                  ...(onFailure.topicUrn !== undefined ? { topicUrn: onFailure.topicUrn } : {}),
                },
              }
            : {}),
        },
        events: (fn.events ?? []).map((event) => ({
          triggerTypeCode: event.triggerTypeCode,
          status: event.status ?? defaultTriggerStatus(event.triggerTypeCode),
          eventData: event.eventData,
        })),
      };
    }),
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
