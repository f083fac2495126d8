/**
 * A scripted HTTP server on 127.0.0.1:<random port> for client tests: records every request (method,
 * path, query, headers, body bytes) and answers from per-route scripts. Unscripted requests get a 501
 * with an error body, so a wrong path fails the test loudly instead of hanging.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../shared/cloud/http.js';
import { verifySignature } from '../../shared/cloud/signer.js';
import type { CloudHttp, CloudService } from '../../shared/cloud/types.js';

export interface RecordedRequest {
  method: string;
  /** The raw request target (`/path?query`) as received. */
  url: string;
  /** Path without the query string, as sent (still percent-encoded). */
  path: string;
  /** The raw query string without `?` ('' when none). */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Body parsed as JSON (undefined when empty). */
  json(): unknown;
}

export interface ScriptedResponse {
  status?: number;
  /** Serialized with JSON.stringify unless `rawBody` is given; omitted = empty body. */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export type Responder = ScriptedResponse | ((request: RecordedRequest) => ScriptedResponse);

interface Route {
  method: string;
  path: string | RegExp;
  responders: Responder[];
  served: number;
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: Route[] = [];
  private server: Server | undefined;
  private baseUrl = '';

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawUrl = req.url ?? '/';
        const q = rawUrl.indexOf('?');
        const body = Buffer.concat(chunks);
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          url: rawUrl,
          path: q === -1 ? rawUrl : rawUrl.slice(0, q),
          rawQuery: q === -1 ? '' : rawUrl.slice(q + 1),
          query: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)),
          headers: req.headers,
          body,
          json: () => (body.length === 0 ? undefined : JSON.parse(body.toString('utf8'))),
        };
        this.requests.push(recorded);
        const scripted = this.respond(recorded);
        const status = scripted.status ?? 200;
        const text = scripted.rawBody ?? (scripted.body === undefined ? '' : JSON.stringify(scripted.body));
        res.writeHead(status, {
          ...(text.length > 0 ? { 'content-type': 'application/json' } : {}),
          'x-request-id': `req-${this.requests.length}`,
          ...scripted.headers,
        });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  /**
   * Scripts a route. Several responders are served in order; the last one repeats. `path` is matched
   * against the request path exactly (string) or by `test` (RegExp).
   */
  on(method: string, path: string | RegExp, ...responders: Responder[]): this {
    if (responders.length === 0) throw new Error('on(): at least one responder');
    this.routes.push({ method, path, responders, served: 0 });
    return this;
  }

  /** Requests whose method and path match. */
  calls(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && matches(path, r.path));
  }

  reset(): void {
    this.requests.length = 0;
    this.routes.length = 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
    this.server = undefined;
  }

  private respond(request: RecordedRequest): ScriptedResponse {
    // Later scripts win, so a test can override a default route.
    for (let i = this.routes.length - 1; i >= 0; i--) {
      const route = this.routes[i]!;
      if (route.method !== request.method || !matches(route.path, request.path)) continue;
      const responder = route.responders[Math.min(route.served, route.responders.length - 1)]!;
      route.served++;
      return typeof responder === 'function' ? responder(request) : responder;
    }
    return {
      status: 501,
      body: {
        error_code: 'TEST.0501',
        error_msg: `no scripted response for ${request.method} ${request.path}`,
      },
    };
  }
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  return new FakeApiServer().start();
}

/* ------------------------------------------------------------------ client wiring for tests */

export const PROJECT_ID = '0123456789abcdef0123456789abcdef';
export const TEST_AK = 'TESTAKEXAMPLE000001';
export const TEST_SK = 'test-secret-key-example';

/** The real signed client for `service`, pointed at the fake server; quick retries keep tests fast. */
export function cloudHttpFor(server: FakeApiServer, service: CloudService): CloudHttp {
  return createCloudHttp({
    service,
    region: 'ap-southeast-1',
    projectId: PROJECT_ID,
    credentials: staticCredentials({ ak: TEST_AK, sk: TEST_SK }),
    baseUrl: server.url,
    timeoutMs: 5_000,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
}

/** Asserts the AK/SK headers are present and that the signature verifies over what was received. */
export function expectSigned(request: RecordedRequest | undefined): void {
  expect(request).toBeDefined();
  const headers = request!.headers;
  expect(headers.authorization).toMatch(
    new RegExp(
      `^SDK-HMAC-SHA256 Access=${TEST_AK}, SignedHeaders=[a-z0-9;-]*x-sdk-date[a-z0-9;-]*, Signature=[0-9a-f]{64}$`,
    ),
  );
  expect(headers['x-sdk-date']).toMatch(/^\d{8}T\d{6}Z$/);
  expect(headers['x-project-id']).toBe(PROJECT_ID);
  const verdict = verifySignature(
    { method: request!.method, url: request!.url, headers, body: request!.body },
    (ak) => (ak === TEST_AK ? TEST_SK : undefined),
  );
  expect(verdict).toEqual({ ok: true, ak: TEST_AK });
}

/* ------------------------------------------------------------------ documented examples */

/**
 * The documented examples: `KVL_REFERENCE_EXAMPLES`, else the vendored copy under
 * test/fixtures/reference-examples (copied from the shared reference, values unchanged).
 */
export const EXAMPLES_DIR = ((): string => {
  const vendored = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'reference-examples');
  const candidates = [process.env.KVL_REFERENCE_EXAMPLES, vendored];
  return candidates.find((dir): dir is string => !!dir && existsSync(dir)) ?? vendored;
})();

export interface Fixture {
  file: string;
  api: string;
  status?: number;
  body: unknown;
  /** The `body` value exactly as written in the file (keeps duplicate keys, e.g. vpcep-show-endpoint). */
  rawBody: string;
}

export function readFixture(file: string): Fixture {
  const text = readFileSync(join(EXAMPLES_DIR, file), 'utf8');
  const parsed = JSON.parse(text) as { api: string; status?: number; body: unknown };
  return {
    file,
    api: parsed.api,
    status: parsed.status,
    body: parsed.body,
    rawBody: rawTopLevelValue(text, 'body'),
  };
}

/** The source text of a top-level key's value (a string-aware brace scan; no re-serialization). */
function rawTopLevelValue(text: string, key: string): string {
  let depth = 0;
  let inString = false;
  let stringStart = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        const name = text.slice(stringStart + 1, i);
        const after = text.slice(i + 1).match(/^\s*:\s*/);
        if (depth === 1 && name === key && after) return scanValue(text, i + 1 + after[0].length);
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
      stringStart = i;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  throw new Error(`no top-level key ${key}`);
}

function scanValue(text: string, start: number): string {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      // A closing bracket at depth 0 belongs to the parent: the value was a primitive.
      if (depth === 0) return text.slice(start, i).trim();
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    } else if (depth === 0 && (ch === ',' || /\s/.test(ch ?? '')) && i > start) {
      return text.slice(start, i).trim();
    }
  }
  return text.slice(start).trim();
}
