/**
 * The transport under every cloud call (shared/cloud/node-adapter.ts). test/shared/cloud/http.test.ts
 * covers it through the HTTP client over plain http (decoding, timeouts, resets, refusals, keep-alive);
 * this file covers what only the adapter decides: TLS, raw deflate, axios' response shape and codes.
 */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, globalAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import type { InternalAxiosRequestConfig } from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../local/dataplane/index.js';
import { AxiosHeaders } from '../../../shared/cloud/axios-core.js';
import { CloudNetworkError } from '../../../shared/cloud/errors.js';
import { createCloudHttp } from '../../../shared/cloud/http.js';
import { nodeHttpAdapter } from '../../../shared/cloud/node-adapter.js';
import { parseAuthorization } from '../../../shared/cloud/signer.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function tlsServer(listener: RequestListener) {
  const ca = createCertificateAuthority('kvl adapter test CA');
  const leaf = ca.issueServerCertificate({ commonName: 'localhost', ipAddresses: ['127.0.0.1'] });
  const server = createHttpsServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, listener);
  return { ca, server };
}

function cloud(baseUrl: string) {
  return createCloudHttp({
    service: 'vpcep',
    region: 'ap-southeast-1',
    projectId: 'p'.repeat(32),
    credentials: async () => ({ ak: 'AK-ADAPTER', sk: 'sk-adapter-secret' }),
    baseUrl,
    retry: { retries: 0 },
    timeoutMs: 2_000,
  });
}

function config(url: string, extra: Partial<InternalAxiosRequestConfig> = {}): InternalAxiosRequestConfig {
  return {
    url,
    method: 'get',
    headers: new AxiosHeaders(),
    timeout: 2_000,
    validateStatus: (status: number) => status >= 200 && status < 300,
    ...extra,
  } as InternalAxiosRequestConfig;
}

describe('node http adapter', () => {
  it('sends signed calls over https to a server whose certificate is trusted', async () => {
    // Arrange: trust the test CA the way NODE_EXTRA_CA_CERTS would, for this test only.
    let seen: { host?: string; authorization?: string } = {};
    const { ca, server } = tlsServer((req, res) => {
      seen = { host: req.headers.host, authorization: req.headers.authorization };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"endpoints":[]}');
    });
    const baseUrl = await listen(server, 'https');
    const saved = globalAgent.options.ca;
    globalAgent.options.ca = ca.certificatePem;

    // Act
    const response = await cloud(baseUrl)
      .send({ method: 'GET', path: '/v1/{project_id}/vpc-endpoints' })
      .finally(() => {
        globalAgent.options.ca = saved;
      });

    // Assert
    expect(response).toEqual({ status: 200, body: { endpoints: [] }, requestId: undefined });
    expect(seen.host).toBe(new URL(baseUrl).host);
    expect(parseAuthorization(String(seen.authorization))?.signedHeaders).toContain('host');
  });

  it('verifies the server certificate: an untrusted one fails the call as a network error', async () => {
    // Arrange
    let reached = false;
    const { server } = tlsServer((_req, res) => {
      reached = true;
      res.end('{}');
    });
    const baseUrl = await listen(server, 'https');

    // Act
    const error = await cloud(baseUrl)
      .send({ method: 'GET', path: '/v1/{project_id}/vpc-endpoints' })
      .catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(CloudNetworkError);
    expect(String((error as Error).message)).toMatch(/certificate|self.signed|verify/i);
    expect(reached).toBe(false);
  });

  it('answers in axios response shape: a Buffer, lower-case headers, status text', async () => {
    // Arrange
    const baseUrl = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(201, 'Created', { 'X-Request-Id': 'r-1', 'Content-Type': 'application/json' });
        res.end('{"id":"x"}');
      }),
      'http',
    );

    // Act
    const response = await nodeHttpAdapter(
      config(`${baseUrl}/things`, { method: 'post', data: Buffer.from('{}') }),
    );

    // Assert
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Created');
    expect(Buffer.isBuffer(response.data)).toBe(true);
    expect(response.data.toString()).toBe('{"id":"x"}');
    expect(response.headers['x-request-id']).toBe('r-1');
  });

  it('decodes raw deflate, which some servers send for "deflate"', async () => {
    // Arrange
    const body = JSON.stringify({ name: 'y'.repeat(200) });
    const baseUrl = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'Content-Encoding': 'deflate' });
        res.end(deflateRawSync(body));
      }),
      'http',
    );

    // Act
    const response = await nodeHttpAdapter(config(`${baseUrl}/raw`));

    // Assert
    expect(response.data.toString()).toBe(body);
    expect(response.headers['content-encoding']).toBeUndefined();
  });

  it('fails an answer cut off mid-body instead of waiting for its end', async () => {
    // Arrange: headers promise 100 bytes, 10 arrive, then the connection drops.
    const baseUrl = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(200, { 'Content-Length': '100' });
        res.write('{"partial"');
        setTimeout(() => res.socket?.destroy(), 20);
      }),
      'http',
    );

    // Act
    const error = await nodeHttpAdapter(config(`${baseUrl}/cut`, { timeout: 0 })).catch((e: unknown) => e);

    // Assert: no timeout is set, so only the cut itself can end the call.
    expect(error).toMatchObject({ isAxiosError: true });
    expect(['ERR_BAD_RESPONSE', 'ECONNRESET']).toContain((error as { code?: string }).code);
  });

  it("rejects a status validateStatus refuses with axios' status error, answer attached", async () => {
    // Arrange
    const baseUrl = await listen(
      createHttpServer((_req, res) => {
        res.writeHead(503);
        res.end('{"error_code":"X"}');
      }),
      'http',
    );

    // Act
    const error = await nodeHttpAdapter(config(`${baseUrl}/busy`)).catch((e: unknown) => e);

    // Assert
    expect(error).toMatchObject({
      isAxiosError: true,
      code: 'ERR_BAD_RESPONSE',
      message: 'Request failed with status code 503',
      response: { status: 503 },
    });
  });

  it('refuses what it does not implement (cancellation, non-http URLs, object bodies) before sending', async () => {
    // Arrange
    let requests = 0;
    const baseUrl = await listen(
      createHttpServer((_req, res) => {
        requests++;
        res.end();
      }),
      'http',
    );

    // Act
    const results = await Promise.allSettled([
      nodeHttpAdapter(config(baseUrl, { signal: new AbortController().signal })),
      nodeHttpAdapter(config('ftp://127.0.0.1/file')),
      nodeHttpAdapter(config(baseUrl, { method: 'post', data: { not: 'bytes' } })),
    ]);

    // Assert
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(results.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([
      'ERR_BAD_OPTION',
      'ERR_BAD_REQUEST',
      'ERR_BAD_REQUEST',
    ]);
    expect(requests).toBe(0);
  });
});
