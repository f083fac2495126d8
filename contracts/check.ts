/**
 * The contract checker: matches a request (method + concrete path) to an operation of contracts/*.json
 * and checks its query and body, then checks the answer (success body, or the service's error body).
 * The contract files themselves are validated by a zod schema when loaded. Used by the test suite on
 * every exchange with every emulator, so it must stay cheap: paths are matched by precompiled regexes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/* ------------------------------------------------------------------ contract file schema */

export interface SchemaNode {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'map' | 'any';
  required?: boolean | undefined;
  enum?: Array<string | number> | undefined;
  min?: number | undefined;
  max?: number | undefined;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  /** A string that carries a number (DMS's string limit/offset). */
  numericMin?: number | undefined;
  numericMax?: number | undefined;
  pattern?: string | undefined;
  maxItems?: number | undefined;
  items?: SchemaNode | undefined;
  fields?: Record<string, SchemaNode> | undefined;
  values?: SchemaNode | undefined;
  /** Deeper than the generator followed: any keys. */
  open?: boolean | undefined;
  goType?: string | undefined;
  note?: string | undefined;
}

const SchemaNodeSchema: z.ZodType<SchemaNode> = z.lazy(() =>
  z
    .object({
      type: z.enum(['string', 'integer', 'number', 'boolean', 'object', 'array', 'map', 'any']),
      required: z.boolean().optional(),
      enum: z.array(z.union([z.string(), z.number()])).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      minLength: z.number().int().nonnegative().optional(),
      maxLength: z.number().int().nonnegative().optional(),
      numericMin: z.number().optional(),
      numericMax: z.number().optional(),
      pattern: z.string().optional(),
      maxItems: z.number().int().nonnegative().optional(),
      items: SchemaNodeSchema.optional(),
      fields: z.record(z.string(), SchemaNodeSchema).optional(),
      values: SchemaNodeSchema.optional(),
      open: z.boolean().optional(),
      goType: z.string().optional(),
      note: z.string().optional(),
    })
    .strict(),
);

const SourceSchema = z
  .object({
    repo: z.string().min(1),
    commit: z.string().regex(/^[0-9a-f]{40}$/),
    files: z.array(z.string().min(1)).min(1),
    doc: z.url().optional(),
  })
  .strict();

const OperationSchema = z
  .object({
    id: z.string().regex(/^[A-Z][A-Za-z0-9]+$/),
    calledBy: z.array(z.string()),
    method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
    path: z.string().startsWith('/'),
    pathParams: z.record(z.string(), SchemaNodeSchema),
    query: z.record(z.string(), SchemaNodeSchema),
    body: SchemaNodeSchema.nullable(),
    response: z
      .object({ status: z.array(z.number().int().min(200).max(299)).min(1), body: SchemaNodeSchema })
      .strict(),
    redactBody: z.boolean().optional(),
    source: SourceSchema,
    notes: z.array(z.string()).optional(),
  })
  .strict();

const ErrorShapeSchema = z
  .object({ name: z.string(), fields: z.record(z.string(), SchemaNodeSchema), source: z.url() })
  .strict();

export const ContractFileSchema = z
  .object({
    $comment: z.string().optional(),
    service: z.enum(['dms', 'vpcep', 'vpc', 'smn', 'iam', 'functiongraph']),
    sources: z.array(
      z.object({ repo: z.string(), commit: z.string().regex(/^[0-9a-f]{40}$/), dir: z.string() }),
    ),
    errors: z.array(ErrorShapeSchema).min(1),
    operations: z.array(OperationSchema).min(1),
  })
  .strict();

export type ContractFile = z.infer<typeof ContractFileSchema>;
export type Operation = z.infer<typeof OperationSchema>;
export type ErrorShape = z.infer<typeof ErrorShapeSchema>;

export const HostsFileSchema = z
  .object({
    $comment: z.string().optional(),
    source: z.object({ repo: z.string(), commit: z.string().regex(/^[0-9a-f]{40}$/) }).strict(),
    services: z.record(
      z.string(),
      z.object({ file: z.string(), regions: z.record(z.string(), z.url()) }).strict(),
    ),
  })
  .strict();

export const KnownDivergencesSchema = z
  .object({
    $comment: z.string().optional(),
    entries: z.array(
      z
        .object({
          operation: z.string(),
          side: z.enum(['request', 'response']),
          field: z.string(),
          issue: z.string().regex(/^#12 (item \d+|new|doc-vs-SDK)$/),
          note: z.string().min(1),
        })
        .strict(),
    ),
  })
  .strict();

export type KnownDivergence = z.infer<typeof KnownDivergencesSchema>['entries'][number];

export const CONTRACT_SERVICES = ['dms', 'vpcep', 'vpc', 'smn', 'iam', 'functiongraph'] as const;
export const CONTRACTS_DIR = dirname(fileURLToPath(import.meta.url));

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(join(CONTRACTS_DIR, name), 'utf8'));
}

export function loadContracts(): ContractFile[] {
  return CONTRACT_SERVICES.map((service) => {
    const parsed = ContractFileSchema.parse(readJson(`${service}.json`));
    if (parsed.service !== service) throw new Error(`contracts/${service}.json declares ${parsed.service}`);
    return parsed;
  });
}

export function loadHosts(): z.infer<typeof HostsFileSchema> {
  return HostsFileSchema.parse(readJson('hosts.json'));
}

export function loadKnownDivergences(): KnownDivergence[] {
  return KnownDivergencesSchema.parse(readJson('known-divergences.json')).entries;
}

/* ------------------------------------------------------------------ matching */

export interface Violation {
  /** SDK operation id, or undefined when no contract matches the request. */
  operation?: string | undefined;
  side: 'request' | 'response';
  /** `query.limit`, `body.tags[].key`, `response.endpoints[].status`, `error`, `operation`… */
  field: string;
  message: string;
}

export interface ExchangeLike {
  method: string;
  /** Decoded path without query. */
  path: string;
  query?: Record<string, string | string[]> | undefined;
  body?: unknown;
  status: number;
  responseBody?: unknown;
  userAgent?: string | undefined;
  /** The emulator module that answered; modules of other names (test doubles) are not Huawei APIs. */
  service?: string | undefined;
}

interface CompiledOperation {
  op: Operation;
  contract: ContractFile;
  pattern: RegExp;
  params: string[];
  literalSegments: number;
}

function compile(contract: ContractFile, op: Operation): CompiledOperation {
  const params: string[] = [];
  let literalSegments = 0;
  const source = op.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        params.push(param[1] ?? '');
        return '([^/]+)';
      }
      if (segment !== '') literalSegments += 1;
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { op, contract, pattern: new RegExp(`^${source}/?$`), params, literalSegments };
}

export class ContractChecker {
  readonly contracts: ContractFile[];
  private readonly compiled: CompiledOperation[];

  constructor(contracts: ContractFile[] = loadContracts()) {
    this.contracts = contracts;
    this.compiled = contracts.flatMap((contract) => contract.operations.map((op) => compile(contract, op)));
  }

  /** Every operation whose method and path template fit, the most specific templates only. */
  candidates(
    method: string,
    path: string,
  ): Array<{ compiled: CompiledOperation; params: Record<string, string> }> {
    const found: Array<{ compiled: CompiledOperation; params: Record<string, string> }> = [];
    for (const compiled of this.compiled) {
      if (compiled.op.method !== method.toUpperCase()) continue;
      const m = compiled.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      compiled.params.forEach((name, i) => {
        params[name] = m[i + 1] ?? '';
      });
      found.push({ compiled, params });
    }
    const best = Math.max(...found.map((f) => f.compiled.literalSegments));
    return found.filter((f) => f.compiled.literalSegments === best);
  }

  operation(method: string, path: string): Operation | undefined {
    return this.candidates(method, path)[0]?.compiled.op;
  }

  /** Request violations against the best-fitting operation (several operations may share a path). */
  checkRequest(exchange: ExchangeLike): {
    operation?: Operation;
    contract?: ContractFile;
    violations: Violation[];
  } {
    const candidates = this.candidates(exchange.method, exchange.path);
    if (candidates.length === 0) {
      return {
        violations: [
          {
            side: 'request',
            field: 'operation',
            message: `no contract for ${exchange.method} ${exchange.path}`,
          },
        ],
      };
    }
    let best: { operation: Operation; contract: ContractFile; violations: Violation[] } | undefined;
    for (const { compiled, params } of candidates) {
      const violations = requestViolations(compiled.op, params, exchange);
      if (!best || violations.length < best.violations.length) {
        best = { operation: compiled.op, contract: compiled.contract, violations };
      }
      if (violations.length === 0) break;
    }
    return best ?? { violations: [] };
  }

  checkResponse(contract: ContractFile, op: Operation, exchange: ExchangeLike): Violation[] {
    return responseViolations(contract, op, exchange);
  }

  /**
   * One exchange. A request that breaks its contract may be answered by a conforming error (the
   * emulator refusing what Huawei refuses) unless the product's own clients sent it: those must
   * always conform. A nonconforming request that is accepted is a divergence of the emulator.
   */
  checkExchange(
    exchange: ExchangeLike,
    options: { productAgent?: RegExp; known?: KnownDivergence[] } = {},
  ): {
    operation?: string;
    violations: Violation[];
    /** Violations the allowlist names: tolerated until the fixes it cites are merged. */
    known: Violation[];
  } {
    const productAgent = options.productAgent ?? /^kafka-vpcep-link\//;
    const allow = options.known ?? [];
    if (
      exchange.service !== undefined &&
      !(CONTRACT_SERVICES as readonly string[]).includes(exchange.service)
    ) {
      return { violations: [], known: [] };
    }
    const fromProduct = productAgent.test(exchange.userAgent ?? '');
    const checked = this.checkRequest(exchange);
    const requestSplit = partitionKnown(checked.violations, allow);
    const request = { ...checked, violations: requestSplit.unknown };
    if (!request.operation || !request.contract) {
      // A test probing an API that does not exist must get an error in a documented shape.
      const refusedUnknown =
        !fromProduct &&
        exchange.status >= 400 &&
        this.contracts.some((c) => c.errors.some((shape) => matchesErrorShape(shape, exchange.responseBody)));
      return { violations: refusedUnknown ? [] : request.violations, known: requestSplit.known };
    }
    const responseSplit = partitionKnown(
      exchange.status === 0 ? [] : this.checkResponse(request.contract, request.operation, exchange),
      allow,
    );
    const response = responseSplit.unknown;
    const refused = exchange.status >= 400 && response.length === 0;
    const requestCounts = request.violations.length > 0 && (fromProduct || !refused);
    const violations = [...(requestCounts ? request.violations : []), ...response];
    if (requestCounts && !fromProduct && exchange.status > 0 && exchange.status < 400) {
      violations.push({
        operation: request.operation.id,
        side: 'response',
        field: 'status',
        message: `answered ${exchange.status} to a request that breaks the contract (Huawei refuses it)`,
      });
    }
    return {
      operation: request.operation.id,
      violations,
      known: [...requestSplit.known, ...responseSplit.known],
    };
  }
}

/* ------------------------------------------------------------------ value checks */

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function checkValue(
  node: SchemaNode,
  value: unknown,
  field: string,
  out: Array<{ field: string; message: string }>,
  options: { nullable: boolean; extraFields: boolean },
): void {
  if (value === null && options.nullable && !node.required) return;
  switch (node.type) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') {
        out.push({ field, message: `expected a string, got ${describe(value)}` });
        return;
      }
      checkString(node, value, field, out);
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (node.type === 'integer' && !Number.isInteger(value))) {
        out.push({
          field,
          message: `expected ${node.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(value)}`,
        });
        return;
      }
      checkNumber(node, value, field, out);
      return;
    case 'boolean':
      if (typeof value !== 'boolean')
        out.push({ field, message: `expected a boolean, got ${describe(value)}` });
      return;
    case 'array':
      if (!Array.isArray(value)) {
        out.push({ field, message: `expected an array, got ${describe(value)}` });
        return;
      }
      if (node.maxItems !== undefined && value.length > node.maxItems) {
        out.push({ field, message: `${value.length} items, at most ${node.maxItems} allowed` });
      }
      if (node.items) for (const item of value) checkValue(node.items, item, `${field}[]`, out, options);
      return;
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.push({ field, message: `expected an object, got ${describe(value)}` });
        return;
      }
      if (node.values) {
        for (const [k, v] of Object.entries(value)) checkValue(node.values, v, `${field}.${k}`, out, options);
      }
      return;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.push({ field, message: `expected an object, got ${describe(value)}` });
        return;
      }
      if (node.open || !node.fields) return;
      const record = value as Record<string, unknown>;
      for (const [key, child] of Object.entries(record)) {
        const spec = node.fields[key];
        const where = field ? `${field}.${key}` : key;
        if (!spec) {
          if (!options.extraFields) out.push({ field: where, message: 'not a field of the API' });
          continue;
        }
        if (child === undefined) continue;
        checkValue(spec, child, where, out, options);
      }
      for (const [key, spec] of Object.entries(node.fields)) {
        if (spec.required && record[key] === undefined) {
          out.push({ field: field ? `${field}.${key}` : key, message: 'required, missing' });
        }
      }
      return;
    }
  }
}

function checkString(
  node: SchemaNode,
  value: string,
  field: string,
  out: Array<{ field: string; message: string }>,
) {
  if (node.enum && !node.enum.includes(value)) {
    out.push({ field, message: `${describe(value)} is not one of ${node.enum.join(', ')}` });
  }
  if (node.minLength !== undefined && value.length < node.minLength) {
    out.push({ field, message: `length ${value.length}, at least ${node.minLength}` });
  }
  if (node.maxLength !== undefined && value.length > node.maxLength) {
    out.push({ field, message: `length ${value.length}, at most ${node.maxLength}` });
  }
  if (node.pattern !== undefined && !new RegExp(node.pattern).test(value)) {
    out.push({ field, message: `${describe(value)} does not match ${node.pattern}` });
  }
  if (node.numericMin !== undefined || node.numericMax !== undefined) {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      out.push({ field, message: `${describe(value)} is not a number` });
    else checkNumber({ type: 'number', min: node.numericMin, max: node.numericMax }, n, field, out);
  }
}

function checkNumber(
  node: SchemaNode,
  value: number,
  field: string,
  out: Array<{ field: string; message: string }>,
) {
  if (node.min !== undefined && value < node.min)
    out.push({ field, message: `${value} is below the minimum ${node.min}` });
  if (node.max !== undefined && value > node.max)
    out.push({ field, message: `${value} is above the maximum ${node.max}` });
  if (node.enum && !node.enum.includes(value)) {
    out.push({ field, message: `${value} is not one of ${node.enum.join(', ')}` });
  }
}

/** A query value is text on the wire: typed by parsing it as the contract's type. */
function checkQueryValue(
  node: SchemaNode,
  raw: string,
  field: string,
  out: Array<{ field: string; message: string }>,
) {
  switch (node.type) {
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (node.type === 'integer' && !Number.isInteger(n))) {
        out.push({
          field,
          message: `expected ${node.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(raw)}`,
        });
        return;
      }
      checkNumber(node, n, field, out);
      return;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false')
        out.push({ field, message: `expected true or false, got ${describe(raw)}` });
      return;
    case 'array':
      if (node.items) checkQueryValue(node.items, raw, field, out);
      return;
    case 'string':
      checkString(node, raw, field, out);
      return;
    default:
      return;
  }
}

function requestViolations(
  op: Operation,
  params: Record<string, string>,
  exchange: ExchangeLike,
): Violation[] {
  const found: Array<{ field: string; message: string }> = [];
  for (const [name, value] of Object.entries(params)) {
    const spec = op.pathParams[name];
    if (spec) checkQueryValue(spec, value, `path.${name}`, found);
  }
  const query = exchange.query ?? {};
  for (const [name, value] of Object.entries(query)) {
    const spec = op.query[name];
    if (!spec) {
      found.push({ field: `query.${name}`, message: 'not a query parameter of the API' });
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.length > 1 && spec.type !== 'array') {
      found.push({ field: `query.${name}`, message: 'repeated, but the API takes one value' });
    }
    for (const v of values) checkQueryValue(spec, v, `query.${name}`, found);
  }
  for (const [name, spec] of Object.entries(op.query)) {
    if (spec.required && query[name] === undefined)
      found.push({ field: `query.${name}`, message: 'required, missing' });
  }
  if (op.body === null) {
    if (exchange.body !== undefined) found.push({ field: 'body', message: 'the API takes no body' });
  } else if (exchange.body === undefined) {
    if (op.body.required) found.push({ field: 'body', message: 'required, missing' });
  } else {
    const inner: Array<{ field: string; message: string }> = [];
    checkValue(op.body, exchange.body, '', inner, { nullable: false, extraFields: false });
    for (const v of inner) found.push({ field: v.field ? `body.${v.field}` : 'body', message: v.message });
  }
  return found.map((v) => ({ operation: op.id, side: 'request', ...v }));
}

function matchesErrorShape(shape: ErrorShape, body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const record = body as Record<string, unknown>;
  return Object.entries(shape.fields).every(([key, spec]) => {
    const out: Array<{ field: string; message: string }> = [];
    if (record[key] === undefined) return false;
    checkValue(spec, record[key], key, out, { nullable: false, extraFields: true });
    return out.length === 0;
  });
}

function responseViolations(contract: ContractFile, op: Operation, exchange: ExchangeLike): Violation[] {
  const v = (field: string, message: string): Violation => ({
    operation: op.id,
    side: 'response',
    field,
    message,
  });
  if (exchange.status >= 400) {
    if (contract.errors.some((shape) => matchesErrorShape(shape, exchange.responseBody))) return [];
    return [
      v(
        'error',
        `error body ${describe(exchange.responseBody)} is none of ${contract.errors.map((e) => `{${Object.keys(e.fields).join(', ')}}`).join(' | ')}`,
      ),
    ];
  }
  const out: Violation[] = [];
  if (!op.response.status.includes(exchange.status)) {
    out.push(v('status', `answered ${exchange.status}, the API answers ${op.response.status.join(' or ')}`));
  }
  const inner: Array<{ field: string; message: string }> = [];
  if (exchange.responseBody !== undefined) {
    // Answers may carry fields the SDK model does not list; what matters is that every field the
    // model lists has its type and enum values, and that the fields the product reads are there.
    checkValue(op.response.body, exchange.responseBody, '', inner, { nullable: true, extraFields: true });
  } else if (
    op.response.body.type === 'object' &&
    Object.values(op.response.body.fields ?? {}).some((f) => f.required)
  ) {
    inner.push({ field: '', message: 'no body, but the product reads fields of it' });
  }
  for (const item of inner) out.push(v(item.field ? `response.${item.field}` : 'response', item.message));
  return out;
}

/* ------------------------------------------------------------------ allowlist */

/** Splits violations into the ones the allowlist names (known, being fixed) and the rest. */
export function partitionKnown(
  violations: Violation[],
  known: KnownDivergence[],
): { known: Violation[]; unknown: Violation[] } {
  const isKnown = (violation: Violation) =>
    known.some(
      (entry) =>
        entry.operation === violation.operation &&
        entry.side === violation.side &&
        (entry.field === violation.field ||
          (entry.field.endsWith('*') && violation.field.startsWith(entry.field.slice(0, -1)))),
    );
  return {
    known: violations.filter(isKnown),
    unknown: violations.filter((violation) => !isKnown(violation)),
  };
}
