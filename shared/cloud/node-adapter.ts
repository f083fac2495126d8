/**
 * The axios adapter every cloud call goes through: one request over Node's own http/https.
 *
 * axios' bundled http adapter handles streams, forms, redirects, proxies, HTTP/2, progress events and
 * rate limits, none of which a cloud call uses (a signed JSON Buffer to an http(s) URL, an arraybuffer
 * answer), and was ~18 KB of every function bundle and its zlib/stream loads part of every cold start
 * (issue #15). An adapter is axios' own extension point: requests still go through axios' config merge,
 * interceptors (signing), axios-retry, `settle` and `AxiosError`, only the transport is this one.
 *
 * What went on the wire is kept: the Accept-Encoding axios advertised (answers are decoded the way it
 * decoded them), Content-Length, the attempt timeout (a wall clock until the answer starts, then socket
 * inactivity, as axios' `maxRedirects: 0` path), Node's socket error codes, and axios' error codes
 * and messages (`timeout of Nms exceeded`, `stream has been aborted`, `Request failed with status code N`).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AxiosError as AxiosErrorType, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { AxiosError, AxiosHeaders, settle } from './axios-core.js';

/** What axios advertised from Node 11.7 on (brotli is always there on Node 20). */
const ACCEPT_ENCODING = 'gzip, compress, deflate, br';

type Zlib = typeof import('node:zlib');

// Sync flush, as axios: a truncated compressed body yields what was decoded rather than an error.
const lenient = (zlib: Zlib) => ({
  flush: zlib.constants.Z_SYNC_FLUSH,
  finishFlush: zlib.constants.Z_SYNC_FLUSH,
});
const unzip = (zlib: Zlib, data: Buffer) => zlib.unzipSync(data, lenient(zlib));

/** The decoders of the encodings advertised in ACCEPT_ENCODING, as axios decoded them. */
const DECODERS: Readonly<Record<string, (zlib: Zlib, data: Buffer) => Buffer>> = {
  gzip: unzip,
  'x-gzip': unzip,
  compress: unzip,
  'x-compress': unzip,
  // "deflate" means zlib-wrapped, but some servers send raw deflate: a zlib header's low nibble is 8.
  deflate: (zlib, data) =>
    ((data[0] ?? 0) & 0x0f) === 8 ? unzip(zlib, data) : zlib.inflateRawSync(data, lenient(zlib)),
  br: (zlib, data) =>
    zlib.brotliDecompressSync(data, {
      flush: zlib.constants.BROTLI_OPERATION_FLUSH,
      finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
    }),
};

/** The decoded body, or undefined when `encoding` is not one that was advertised (or there is none). */
async function decodeBody(data: Buffer, encoding: string): Promise<Buffer | undefined> {
  const decode = Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding] : undefined;
  if (!decode || data.length === 0) return undefined;
  // Loaded on the first compressed answer only: zlib (~2 ms) is not part of a cold start. The bundles
  // turn this import into a require (scripts/build.mjs), as FunctionGraph loads them with require.
  return decode(await import('node:zlib'), data);
}

/** The request body as bytes: the HTTP client always hands a Buffer (the bytes it signed). */
function bodyOf(config: InternalAxiosRequestConfig): Buffer | undefined {
  const { data } = config;
  if (data === undefined || data === null) return undefined;
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new AxiosError(
    'the node adapter sends Buffer or string bodies only',
    AxiosError.ERR_BAD_REQUEST,
    config,
  );
}

/** An axios adapter: sends `config` once and settles with axios' `settle` (validateStatus). */
export function nodeHttpAdapter(config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
  return new Promise((resolve, reject) => {
    if (config.signal || config.cancelToken) {
      // Nothing here cancels a cloud call; failing loudly beats ignoring a caller that starts to.
      throw new AxiosError(
        'the node adapter does not support cancellation',
        AxiosError.ERR_BAD_OPTION,
        config,
      );
    }
    const target = new URL(String(config.url));
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw new AxiosError(`unsupported protocol ${target.protocol}`, AxiosError.ERR_BAD_REQUEST, config);
    }
    const body = bodyOf(config);
    const headers = AxiosHeaders.from(config.headers);
    headers.set('Accept-Encoding', ACCEPT_ENCODING, false);
    if (body !== undefined) headers.setContentLength(body.length, false);
    const method = String(config.method ?? 'get').toUpperCase();
    const timeout = config.timeout ?? 0;

    let done = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const fail = (error: AxiosErrorType) => {
      if (done) return;
      done = true;
      clearTimeout(connectTimer);
      req.destroy();
      reject(error);
    };
    const onTimeout = () =>
      fail(
        new AxiosError(
          config.timeoutErrorMessage ?? (timeout ? `timeout of ${timeout}ms exceeded` : 'timeout exceeded'),
          config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED,
          config,
          req,
        ),
      );

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method, headers: headers.toJSON(true) as Record<string, string> }, (res) => {
      clearTimeout(connectTimer);
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => fail(AxiosError.from(error, undefined, config, req)));
      // A connection closed mid-answer (axios' "stream has been aborted") must not leave the call
      // waiting for an 'end' that never comes.
      res.on('close', () => {
        if (!res.complete) {
          fail(new AxiosError('stream has been aborted', AxiosError.ERR_BAD_RESPONSE, config, req));
        }
      });
      res.on('end', () => {
        if (done) return;
        finish(res, Buffer.concat(chunks)).catch((error: Error) =>
          fail(AxiosError.from(error, AxiosError.ERR_BAD_RESPONSE, config, req)),
        );
      });
    });

    /** Decodes the answer and settles it (validateStatus decides between resolve and reject). */
    async function finish(res: IncomingMessage, raw: Buffer): Promise<void> {
      const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
      const noContent = method === 'HEAD' || res.statusCode === 204;
      const decoded = noContent ? undefined : await decodeBody(raw, encoding);
      // As axios: a decoded (or empty) answer no longer carries its Content-Encoding.
      if (encoding && (noContent || decoded)) delete res.headers['content-encoding'];
      if (done) return;
      done = true;
      settle(resolve, reject, {
        data: decoded ?? raw,
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        // Node's header values are never undefined at run time, only in its types.
        headers: new AxiosHeaders(res.headers as Record<string, string | string[]>),
        config,
        request: req,
      });
    }

    if (timeout > 0) {
      // A socket timeout starts only once a socket exists: a connect that hangs needs a wall clock.
      connectTimer = setTimeout(onTimeout, timeout);
      req.setTimeout(timeout, onTimeout);
    }
    req.on('error', (error) => fail(AxiosError.from(error, undefined, config, req)));
    req.end(body);
  });
}
