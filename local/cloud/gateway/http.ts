/** HTTP plumbing of the gateway: reading and decoding requests, writing JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorError } from './types.js';

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Percent-decodes each segment (so an encoded `:` in an SMN URN reads as `:`). */
export function decodePath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((s) => safeDecode(s))
    .join('/');
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** The error code in any of the envelopes (`error_code`, `code`, `error.code`). */
export function errorCodeOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.error_code === 'string') return body.error_code;
  if (typeof body.code === 'string') return body.code;
  if (isRecord(body.error) && typeof body.error.code === 'string') return body.error.code;
  return undefined;
}

export function apigwBody(code: string, message: string, requestId: string) {
  return { error_code: code, error_msg: message, request_id: requestId };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new EmulatorError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  // A Buffer is an answer that is not JSON (a v0 synchronous invocation: the function's output as text).
  if (Buffer.isBuffer(body)) {
    res.writeHead(status, {
      'Content-Type': headers['Content-Type'] ?? 'text/plain;charset=UTF-8',
      'Content-Length': body.length,
    });
    res.end(body);
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
