import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { continuingWork } from '../../../shared/cloud/continuing.js';
import {
  AuthError,
  CloudApiError,
  CloudNetworkError,
  ConflictError,
  InstanceBusyError,
  NotFoundError,
  PortAlreadyServedError,
  ThrottledError,
} from '../../../shared/cloud/errors.js';
import {
  buildQueryString,
  type CloudHttpOptions,
  createCloudHttp,
  parseRetryAfter,
} from '../../../shared/cloud/http.js';
import { parseAuthorization, verifySignature } from '../../../shared/cloud/signer.js';
import type { Credentials, Logger } from '../../../shared/cloud/types.js';

/* ------------------------------------------------------------------ in-test server */

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  at: number;
  /** The client's port: the same port for two requests means one kept-alive connection. */
  clientPort: number | undefined;
}
type Handler = (req: Received, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
const received: Received[] = [];
const handlers: Handler[] = [];
let fallback: Handler;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
        clientPort: req.socket.remotePort,
      };
      received.push(rec);
      (handlers.shift() ?? fallback)(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
  handlers.length = 0;
  fallback = json(200, {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

/* ------------------------------------------------------------------ helpers */

const AK = 'TESTAK0001';
const SK = 'test-secret-key-0001';
const TOKEN = 'temporary-security-token-xyz';
const PROJECT = '0123456789abcdef0123456789abcdef';

interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

function captureLogger(lines: LogLine[]): Logger {
  const make = (): Logger => ({
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
    child: () => make(),
  });
  return make();
}

function client(overrides: Partial<CloudHttpOptions> = {}) {
  return createCloudHttp({
    service: 'vpcep',
    region: 'ap-southeast-1',
    projectId: PROJECT,
    credentials: async () => ({ ak: AK, sk: SK }),
    baseUrl,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    timeoutMs: 2_000,
    ...overrides,
  });
}

function lookup(ak: string): string | undefined {
  return ak === AK ? SK : undefined;
}

/** The documented algorithm (§D.1), written independently of shared/cloud/signer.ts. */
function documentedSignature(req: Received, sk: string): string {
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const [rawPath = '', rawQuery = ''] = req.url.split('?');
  let uri = rawPath
    .split('/')
    .map((s) => enc(decodeURIComponent(s)))
    .join('/');
  if (!uri.endsWith('/')) uri += '/';
  const pairs = rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=').map((x) => decodeURIComponent(x ?? '')) as [string, string]);
  pairs.sort(([ka, va], [kb, vb]) => (ka === kb ? (va < vb ? -1 : va > vb ? 1 : 0) : ka < kb ? -1 : 1));
  const query = pairs.map(([k, v]) => `${enc(k)}=${enc(v ?? '')}`).join('&');
  const auth = parseAuthorization(String(req.headers.authorization));
  const signed = auth?.signedHeaders ?? [];
  const headers = signed.map((h) => `${h}:${String(req.headers[h])}\n`).join('');
  const payload = createHash('sha256').update(req.body).digest('hex');
  const canonical = [req.method, uri, query, headers, signed.join(';'), payload].join('\n');
  const sts = `SDK-HMAC-SHA256\n${String(req.headers['x-sdk-date'])}\n${createHash('sha256').update(canonical).digest('hex')}`;
  return createHmac('sha256', sk).update(sts).digest('hex');
}

function verify(req: Received) {
  return verifySignature({ method: req.method, url: req.url, headers: req.headers, body: req.body }, lookup);
}

/* ------------------------------------------------------------------ requests */

describe('request building and signing', () => {
  it('sends method, substituted path, encoded query and verifiable signed headers', async () => {
    // Arrange
    handlers.push(json(200, { ok: true }, { 'X-Request-Id': 'req-1' }));
    const http = client();

    // Act
    const response = await http.send({
      method: 'GET',
      path: '/v1/{project_id}/vpc-endpoints',
      query: { limit: 10, name: 'a b*~/é', tag: ['y', 'x'], flag: true, skipped: undefined },
    });

    // Assert
    expect(response).toEqual({ status: 200, body: { ok: true }, requestId: 'req-1' });
    expect(received).toHaveLength(1);
    const req = received[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe(
      `/v1/${PROJECT}/vpc-endpoints?limit=10&name=a%20b%2A~%2F%C3%A9&tag=y&tag=x&flag=true`,
    );
    expect(req.headers['x-project-id']).toBe(PROJECT);
    expect(req.headers['x-sdk-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(req.headers['x-security-token']).toBeUndefined();
    const auth = parseAuthorization(String(req.headers.authorization));
    expect(auth?.access).toBe(AK);
    expect(auth?.signedHeaders).toEqual(['host', 'x-project-id', 'x-sdk-date']);
    expect(verify(req)).toEqual({ ok: true, ak: AK });
    expect(auth?.signature).toBe(documentedSignature(req, SK));
  });

  it('sends the JSON body bytes that were signed, with Content-Type', async () => {
    // Arrange
    const body = { port_id: 'p-1', ports: [{ client_port: 9011 }], note: 'ü "quoted"' };
    const http = client();

    // Act
    await http.send({ method: 'POST', path: '/v1/{project_id}/vpc-endpoint-services', body });

    // Assert
    const req = received[0]!;
    expect(req.body.equals(Buffer.from(JSON.stringify(body), 'utf8'))).toBe(true);
    expect(req.headers['content-type']).toBe('application/json');
    expect(parseAuthorization(String(req.headers.authorization))?.signedHeaders).toEqual([
      'content-type',
      'host',
      'x-project-id',
      'x-sdk-date',
    ]);
    expect(verify(req)).toEqual({ ok: true, ak: AK });
    expect(parseAuthorization(String(req.headers.authorization))?.signature).toBe(
      documentedSignature(req, SK),
    );
  });

  it('sends X-Security-Token for temporary credentials and reads credentials per attempt', async () => {
    // Arrange
    let calls = 0;
    const credentials = async (): Promise<Credentials> => {
      calls++;
      return { ak: AK, sk: SK, securityToken: TOKEN };
    };
    handlers.push(json(503, { error_code: 'EndPoint.0001', error_msg: 'system error' }));
    const http = client({ credentials });

    // Act
    await http.send({ method: 'DELETE', path: '/v1/{project_id}/vpc-endpoints/e-1' });

    // Assert
    expect(calls).toBe(2);
    for (const req of received) {
      expect(req.headers['x-security-token']).toBe(TOKEN);
      expect(parseAuthorization(String(req.headers.authorization))?.signedHeaders).toContain(
        'x-security-token',
      );
      expect(verify(req)).toEqual({ ok: true, ak: AK });
    }
  });

  it('returns undefined for 204 and text for a non-JSON body', async () => {
    // Arrange
    handlers.push((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    handlers.push((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('plain');
    });
    const http = client();

    // Act
    const empty = await http.send({ method: 'DELETE', path: '/x' });
    const text = await http.send({ method: 'GET', path: '/y' });

    // Assert
    expect(empty).toEqual({ status: 204, body: undefined, requestId: undefined });
    expect(text.body).toBe('plain');
  });

  it('decodes gzip, deflate and br answers, errors included', async () => {
    // Arrange
    const body = JSON.stringify({ id: 'svc-1', name: 'x'.repeat(300) });
    const compress = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
    for (const [encoding, encode] of Object.entries(compress)) {
      handlers.push((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': encoding });
        res.end(encode(body));
      });
    }
    handlers.push((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ error_code: 'EndPoint.0005', error_msg: 'not found' })));
    });
    const http = client({ retry: { retries: 0 } });

    // Act
    const answers = [];
    for (const _ of Object.keys(compress))
      answers.push((await http.send({ method: 'GET', path: '/z' })).body);
    const error = await http.send({ method: 'GET', path: '/gone' }).catch((e: unknown) => e);

    // Assert
    expect(answers).toEqual([JSON.parse(body), JSON.parse(body), JSON.parse(body)]);
    expect(String(received[0]?.headers['accept-encoding'])).toMatch(/gzip.*deflate.*br/);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'EndPoint.0005', httpStatus: 404 });
  });

  it('does not follow redirects: a 3xx is an error and its Location is never requested', async () => {
    // Arrange
    handlers.push((_req, res) => {
      res.writeHead(302, { Location: `${baseUrl}/elsewhere` });
      res.end();
    });
    const http = client({ retry: { retries: 0 } });

    // Act
    const error = await http.send({ method: 'GET', path: '/moved' }).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({ httpStatus: 302 });
    expect(received.map((r) => r.url)).toEqual(['/moved']);
  });

  it('ignores HTTP(S)_PROXY: requests go straight to the endpoint', async () => {
    // Arrange: a proxy address where nothing listens; going through it would fail the call.
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy };
    process.env.HTTP_PROXY = 'http://127.0.0.1:9';
    process.env.http_proxy = 'http://127.0.0.1:9';
    const http = client({ retry: { retries: 0 } });

    // Act
    const response = await http.send({ method: 'GET', path: '/direct' }).finally(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    // Assert
    expect(response.status).toBe(200);
    expect(received.map((r) => r.url)).toEqual(['/direct']);
  });

  it('keeps the connection alive between calls', async () => {
    // Arrange
    const http = client();

    // Act
    await http.send({ method: 'GET', path: '/one' });
    await http.send({ method: 'GET', path: '/two' });

    // Assert
    expect(received).toHaveLength(2);
    expect(received[1]?.clientPort).toBe(received[0]?.clientPort);
  });

  it('encodes the query like the signer and keeps the caller order', () => {
    expect(buildQueryString({ b: 'x y', a: [2, 1], c: undefined, d: false })).toBe('b=x%20y&a=2&a=1&d=false');
    expect(buildQueryString(undefined)).toBe('');
  });
});

/* ------------------------------------------------------------------ errors */

describe('error mapping', () => {
  const cases: Array<{
    name: string;
    status: number;
    body: unknown;
    type: typeof CloudApiError;
    code: string;
  }> = [
    {
      name: 'DMS not found',
      status: 404,
      body: { error_code: 'DMS.00404022', error_msg: 'no instance' },
      type: NotFoundError,
      code: 'DMS.00404022',
    },
    {
      name: 'VPCEP parameter',
      status: 400,
      body: { error_code: 'EndPoint.0002', error_msg: 'Parameter error.' },
      type: CloudApiError,
      code: 'EndPoint.0002',
    },
    {
      name: 'nested error',
      status: 400,
      body: { error: { code: 'EndPoint.3044', message: 'ports conflict' } },
      type: PortAlreadyServedError,
      code: 'EndPoint.3044',
    },
    {
      name: 'VPC duplicate',
      status: 409,
      body: { code: 'VPC.9902', message: 'Security group rule already exists. Rule id is r-1.' },
      type: ConflictError,
      code: 'VPC.9902',
    },
    {
      name: 'Neutron',
      status: 409,
      body: { NeutronError: { type: 'SecurityGroupRuleExists', message: 'exists' } },
      type: ConflictError,
      code: 'SecurityGroupRuleExists',
    },
    {
      name: 'APIGW auth',
      status: 401,
      body: {
        error_code: 'APIGW.0301',
        error_msg: 'Incorrect IAM authentication information',
        request_id: 'r-9',
      },
      type: AuthError,
      code: 'APIGW.0301',
    },
    {
      name: 'instance busy',
      status: 400,
      body: { error_code: 'DMS.00400026', error_msg: 'status not allowed' },
      type: InstanceBusyError,
      code: 'DMS.00400026',
    },
    { name: 'plain 403 text', status: 403, body: 'Forbidden!', type: CloudApiError, code: 'HTTP_403' },
  ];

  for (const c of cases) {
    it(`maps ${c.name} without retrying`, async () => {
      // Arrange
      fallback = (_req, res) => {
        res.writeHead(c.status, { 'Content-Type': 'application/json', 'X-Request-Id': 'xr-1' });
        res.end(typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
      };
      const http = client({ service: 'dms' });

      // Act
      const error = await http
        .send({ method: 'GET', path: '/v2/{project_id}/instances/i-1' })
        .catch((e: unknown) => e);

      // Assert
      expect(error).toBeInstanceOf(c.type);
      const e = error as CloudApiError;
      expect(e.code).toBe(c.code);
      expect(e.httpStatus).toBe(c.status);
      expect(e.service).toBe('dms');
      expect(e.requestId).toBe('xr-1');
      expect(e.path).toBe(`/v2/${PROJECT}/instances/i-1`);
      expect(e.cause).toBeDefined();
      expect(received).toHaveLength(1);
    });
  }

  it('never puts credentials or signatures into the error (message or cause)', async () => {
    // Arrange
    fallback = json(401, { error_code: 'APIGW.0301', error_msg: 'bad' });
    const http = client({ credentials: async () => ({ ak: AK, sk: SK, securityToken: TOKEN }) });

    // Act
    const error = await http
      .send({ method: 'GET', path: '/x', query: { marker: 'm' } })
      .catch((e: unknown) => e);

    // Assert
    const signature = parseAuthorization(String(received[0]?.headers.authorization))?.signature ?? 'none';
    const dump = `${String((error as Error).message)} ${inspect(error, { depth: 10 })} ${JSON.stringify(error)}`;
    for (const secret of [SK, TOKEN, signature]) expect(dump).not.toContain(secret);
  });
});

/* ------------------------------------------------------------------ retries */

describe('retries', () => {
  it('retries a 429 APIGW.0308 and then succeeds', async () => {
    // Arrange
    handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }));
    handlers.push(json(200, { done: 1 }));
    const http = client();

    // Act
    const response = await http.send({ method: 'GET', path: '/v1/{project_id}/quotas' });

    // Assert
    expect(response.body).toEqual({ done: 1 });
    expect(received).toHaveLength(2);
  });

  it('keeps retrying a throttled call longer than other failures', async () => {
    // Arrange: 6 throttles in a row, more than `retries` but within `throttleRetries`.
    for (let i = 0; i < 6; i++)
      handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }));
    handlers.push(json(200, { done: 1 }));
    const http = client({ retry: { retries: 2, throttleRetries: 8, baseDelayMs: 1, maxDelayMs: 2 } });

    // Act
    const response = await http.send({ method: 'GET', path: '/v1/{project_id}/quotas' });

    // Assert
    expect(response.body).toEqual({ done: 1 });
    expect(received).toHaveLength(7);
  });

  it('with a time budget, retries a throttled call as long as the next wait fits, past throttleRetries', async () => {
    // Arrange: 20 throttles in a row (twice the default count), then success; plenty of time left.
    for (let i = 0; i < 20; i++)
      handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }));
    handlers.push(json(200, { done: 1 }));
    const http = client({
      retry: { throttleRetries: 3, throttleBudgetMs: () => 60_000, baseDelayMs: 1, maxDelayMs: 2 },
    });

    // Act
    const response = await http.send({ method: 'GET', path: '/v1/{project_id}/quotas' });

    // Assert
    expect(response.body).toEqual({ done: 1 });
    expect(received).toHaveLength(21);
  });

  it('with a time budget, gives up a throttled call once its next wait would not fit', async () => {
    // Arrange: always throttled with Retry-After 1 s, capped at 5 ms to keep the test fast; the
    // budget left shrinks below that wait at the third refusal.
    fallback = json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }, { 'Retry-After': '1' });
    const budgets = [5_000, 5_000, 3];
    const http = client({
      retry: { throttleBudgetMs: () => budgets.shift() ?? 0, maxRetryAfterMs: 5, baseDelayMs: 1 },
    });

    // Act
    const error = await http.send({ method: 'GET', path: '/t' }).catch((e: unknown) => e);

    // Assert: two retries fit; the third refusal is final.
    expect(error).toBeInstanceOf(ThrottledError);
    expect(received).toHaveLength(3);
  });

  it('stops retrying other failures after `retries`, even with a larger throttle budget', async () => {
    // Arrange
    fallback = json(503, { error_code: 'EndPoint.0001', error_msg: 'system error' });
    const http = client({ retry: { retries: 2, throttleRetries: 8, baseDelayMs: 1, maxDelayMs: 2 } });

    // Act
    const error = await http.send({ method: 'GET', path: '/b' }).catch((e: unknown) => e);

    // Assert
    expect((error as CloudApiError).httpStatus).toBe(503);
    expect(received).toHaveLength(3);
  });

  it('retries EndPoint.0022 (400) and DMS.10240407 (404) throttles', async () => {
    // Arrange
    handlers.push(json(400, { error_code: 'EndPoint.0022', error_msg: 'too many' }));
    handlers.push(json(404, { error_code: 'DMS.10240407', error_msg: 'flow control' }));
    handlers.push(json(200, {}));
    const http = client();

    // Act
    const response = await http.send({ method: 'GET', path: '/z' });

    // Assert
    expect(response.status).toBe(200);
    expect(received).toHaveLength(3);
  });

  it('does not retry a plain 400', async () => {
    // Arrange
    fallback = json(400, { error_code: 'EndPoint.0002', error_msg: 'Parameter error.' });
    const http = client();

    // Act
    const error = await http.send({ method: 'POST', path: '/a', body: {} }).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(CloudApiError);
    expect((error as CloudApiError).retryable).toBe(false);
    expect(received).toHaveLength(1);
  });

  it('honours Retry-After and re-signs the retry with a new X-Sdk-Date', async () => {
    // Arrange
    handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'slow down' }, { 'Retry-After': '1' }));
    handlers.push(json(200, {}));
    const http = client();

    // Act
    await http.send({ method: 'GET', path: '/r' });

    // Assert
    expect(received).toHaveLength(2);
    const [first, second] = received as [Received, Received];
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(second.headers['x-sdk-date']).not.toBe(first.headers['x-sdk-date']);
    expect(second.headers.authorization).not.toBe(first.headers.authorization);
    expect(verify(second)).toEqual({ ok: true, ak: AK });
  });

  it('takes Retry-After as a floor under a growing backoff, so a refused crowd thins out', async () => {
    // Arrange: four throttles, each saying "1 s" (capped at 5 ms to keep the test fast); no jitter.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    for (let i = 0; i < 4; i++) {
      handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }, { 'Retry-After': '1' }));
    }
    const lines: LogLine[] = [];
    const http = client({
      logger: captureLogger(lines),
      retry: { baseDelayMs: 20, maxDelayMs: 1_000, maxRetryAfterMs: 5 },
    });

    // Act
    await http.send({ method: 'GET', path: '/r' });

    // Assert: half of each doubling step (10, 20, 40, 80 ms), never just the 5 ms the gateway named.
    const delays = lines
      .filter((l) => l.message === 'cloud request will be retried')
      .map((l) => l.fields?.delayMs);
    expect(delays).toEqual([10, 20, 40, 80]);
    expect(received).toHaveLength(5);
  });

  it('backs off with the short cap inside continuingWork, so work in progress goes first', async () => {
    // Arrange: the same four throttles twice, once as new work and once as work in progress; no jitter.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const throttled = () => {
      for (let i = 0; i < 4; i++)
        handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }));
    };
    const lines: LogLine[] = [];
    const http = client({
      logger: captureLogger(lines),
      retry: { baseDelayMs: 20, maxDelayMs: 1_000, continuingMaxDelayMs: 40 },
    });
    const delays = () => {
      const out = lines
        .filter((l) => l.message === 'cloud request will be retried')
        .map((l) => l.fields?.delayMs);
      lines.length = 0;
      return out;
    };

    // Act
    throttled();
    await http.send({ method: 'POST', path: '/new' });
    const fresh = delays();
    throttled();
    await continuingWork(true, () => http.send({ method: 'POST', path: '/next' }));
    const continuing = delays();
    throttled();
    await http.send({ method: 'POST', path: '/after' });
    const after = delays();

    // Assert: half of each doubling step, capped at 40 ms (so 20 ms) only inside the scope.
    expect(fresh).toEqual([10, 20, 40, 80]);
    expect(continuing).toEqual([10, 20, 20, 20]);
    expect(after).toEqual(fresh);
  });

  it('gives up after the configured retries and throws the last error', async () => {
    // Arrange
    let n = 0;
    fallback = (_req, res) => {
      n++;
      res.writeHead(503, { 'Content-Type': 'application/json', 'X-Request-Id': `rid-${n}` });
      res.end(JSON.stringify({ error_code: `SYS.${n}`, error_msg: `down ${n}` }));
    };
    const http = client({ retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } });

    // Act
    const error = await http.send({ method: 'GET', path: '/down' }).catch((e: unknown) => e);

    // Assert
    expect(received).toHaveLength(3);
    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({ code: 'SYS.3', httpStatus: 503, requestId: 'rid-3', retryable: true });
  });

  it('retries a reset connection', async () => {
    // Arrange
    handlers.push((_req, res) => res.socket?.destroy());
    handlers.push(json(200, { ok: 1 }));
    const http = client();

    // Act
    const response = await http.send({ method: 'GET', path: '/reset' });

    // Assert
    expect(response.body).toEqual({ ok: 1 });
    expect(received).toHaveLength(2);
  });

  it('times out each attempt and ends with a TIMEOUT CloudNetworkError', async () => {
    // Arrange
    fallback = () => {
      /* never answers */
    };
    const http = client({ timeoutMs: 150, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } });

    // Act
    const error = await http.send({ method: 'GET', path: '/slow' }).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(CloudNetworkError);
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true, httpStatus: 0 });
    expect(received).toHaveLength(2);
  });

  it('a per-call timeout overrides the client default', async () => {
    // Arrange
    fallback = () => {
      /* never answers */
    };
    const http = client({ timeoutMs: 60_000, retry: { retries: 0 } });

    // Act
    const started = Date.now();
    const error = await http.send({ method: 'GET', path: '/slow', timeoutMs: 100 }).catch((e: unknown) => e);

    // Assert
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  describe('a request that must not run twice (idempotent: false)', () => {
    it.each([
      ['a dropped connection', (_req: Received, res: ServerResponse) => res.socket?.destroy(), 'NETWORK'],
      ['a 500', json(500, { error_code: 'SYS.500', error_msg: 'internal' }), 'SYS.500'],
      ['a 503', json(503, { error_code: 'SYS.503', error_msg: 'unavailable' }), 'SYS.503'],
    ] as const)(
      'is not sent again after %s, which may have come after the work was done',
      async (_name, answer, code) => {
        // Arrange
        fallback = answer;
        const http = client();

        // Act
        const error = await http
          .send({ method: 'POST', path: '/v1/{project_id}/vpc-endpoints', body: {}, idempotent: false })
          .catch((e: unknown) => e);

        // Assert
        expect(received).toHaveLength(1);
        expect(error).toMatchObject({ code, retryable: true });
      },
    );

    it('is not sent again after a timeout', async () => {
      // Arrange
      fallback = () => {
        /* never answers */
      };
      const http = client({ timeoutMs: 150 });

      // Act
      const error = await http
        .send({ method: 'POST', path: '/v1/{project_id}/vpc-endpoints', body: {}, idempotent: false })
        .catch((e: unknown) => e);

      // Assert
      expect(error).toMatchObject({ code: 'TIMEOUT' });
      expect(received).toHaveLength(1);
    });

    it('is sent again after a throttle refusal, which did nothing', async () => {
      // Arrange
      handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }, { 'Retry-After': '0' }));
      handlers.push(json(400, { error_code: 'EndPoint.0022', error_msg: 'too many requests' }));
      handlers.push(json(200, { id: 'ep-1' }));
      const http = client();

      // Act
      const response = await http.send({
        method: 'POST',
        path: '/v1/{project_id}/vpc-endpoints',
        body: {},
        idempotent: false,
      });

      // Assert
      expect(response.body).toEqual({ id: 'ep-1' });
      expect(received).toHaveLength(3);
    });

    it('is sent again after a refused connection, which never reached the cloud', async () => {
      // Arrange: a port nobody listens on.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const lines: LogLine[] = [];
      const http = client({
        baseUrl: `http://127.0.0.1:${port}`,
        retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
        logger: captureLogger(lines),
      });

      // Act
      const error = await http
        .send({ method: 'POST', path: '/x', body: {}, idempotent: false })
        .catch((e: unknown) => e);

      // Assert
      expect(error).toMatchObject({ code: 'NETWORK' });
      expect(lines.filter((l) => l.message === 'cloud request will be retried')).toHaveLength(2);
    });
  });

  it('reports a refused connection as a NETWORK error', async () => {
    // Arrange
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const http = client({ baseUrl: `http://127.0.0.1:${port}`, retry: { retries: 1, baseDelayMs: 1 } });

    // Act
    const error = await http.send({ method: 'GET', path: '/x' }).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(CloudNetworkError);
    expect(error).toMatchObject({ code: 'NETWORK', retryable: true });
  });
});

/* ------------------------------------------------------------------ logging */

describe('logging', () => {
  it('logs service, method, path, status, attempt and request id, without query or secrets', async () => {
    // Arrange
    const lines: LogLine[] = [];
    handlers.push(json(500, { error_code: 'EndPoint.0001', error_msg: 'err' }, { 'X-Request-Id': 'a-1' }));
    handlers.push(json(200, {}, { 'X-Request-Id': 'a-2' }));
    const http = client({
      logger: captureLogger(lines),
      credentials: async () => ({ ak: AK, sk: SK, securityToken: TOKEN }),
    });

    // Act
    await http.send({ method: 'GET', path: '/v1/{project_id}/things', query: { secret_marker: 'q-value' } });

    // Assert
    expect(lines.map((l) => l.level)).toEqual(['warn', 'debug']);
    expect(lines[0]?.fields).toMatchObject({
      service: 'vpcep',
      method: 'GET',
      path: `/v1/${PROJECT}/things`,
      status: 500,
      attempt: 1,
      requestId: 'a-1',
      code: 'EndPoint.0001',
    });
    expect(lines[1]?.fields).toMatchObject({ status: 200, attempt: 2, requestId: 'a-2' });
    const dump = JSON.stringify(lines);
    for (const secret of ['q-value', SK, TOKEN]) expect(dump).not.toContain(secret);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

it('ThrottledError carries Retry-After', async () => {
  // Arrange
  fallback = json(429, { error_code: 'APIGW.0308', error_msg: 'x' }, { 'Retry-After': '0' });
  const http = client({ retry: { retries: 0 } });

  // Act
  const error = await http.send({ method: 'GET', path: '/t' }).catch((e: unknown) => e);

  // Assert
  expect(error).toBeInstanceOf(ThrottledError);
  expect((error as ThrottledError).retryAfterMs).toBe(0);
  // `retries: 0` means one attempt, throttled or not.
  expect(received).toHaveLength(1);
});

it('retries a throttled call when `retries` is 0 only if `throttleRetries` asks for it', async () => {
  // Arrange
  handlers.push(json(429, { error_code: 'APIGW.0308', error_msg: 'x' }));
  handlers.push(json(200, { done: 1 }));
  const http = client({ retry: { retries: 0, throttleRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } });

  // Act
  const response = await http.send({ method: 'GET', path: '/t' });

  // Assert
  expect(response.body).toEqual({ done: 1 });
  expect(received).toHaveLength(2);
});
