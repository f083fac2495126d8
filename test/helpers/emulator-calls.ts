/**
 * Test helpers for the emulator core: signed cloud calls (through the project's signer, like a real
 * client) and admin calls, over node:http so socket-level outcomes (hang-ups, timeouts) are visible.
 */
import { request as httpRequest } from 'node:http';
import type { EmulatorHandle } from '../../local/cloud/server.js';
import { type SigningCredentials, signRequest } from '../../shared/cloud/signer.js';

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON; undefined for an empty body. */
  json: any;
}

export interface CallOptions {
  method: string;
  /** Path with query, e.g. `/v2/{pid}/notifications/topics?limit=5`. */
  path: string;
  body?: unknown;
  /** Signing credentials; omitted = unsigned. */
  credentials?: SigningCredentials;
  headers?: Record<string, string>;
  /** Signing time (default now). */
  date?: Date;
  timeoutMs?: number;
}

export function rawCall(
  endpoint: string,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
  },
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(options.path, endpoint);
    const req = httpRequest(
      url,
      { method: options.method, headers: options.headers, agent: false, timeout: options.timeoutMs ?? 5_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: text ? JSON.parse(text) : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A cloud API call, signed with `credentials` exactly as the product's clients sign. */
export function cloudCall(emu: Pick<EmulatorHandle, 'endpoint'>, options: CallOptions): Promise<CallResult> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  const url = `${emu.endpoint}${options.path}`;
  if (options.credentials) {
    Object.assign(
      headers,
      signRequest({ method: options.method, url, headers, body }, options.credentials, options.date),
    );
  }
  return rawCall(emu.endpoint, {
    method: options.method,
    path: options.path,
    headers,
    body,
    timeoutMs: options.timeoutMs,
  });
}

/** An admin call under `/_emulator/`. */
export function adminCall(
  emu: Pick<EmulatorHandle, 'endpoint'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<CallResult> {
  return rawCall(emu.endpoint, {
    method,
    path: `/_emulator/${path}`,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The owner account's signing credentials. */
export function ownerCredentials(emu: EmulatorHandle): SigningCredentials {
  const owner = emu.seed!.owner;
  return { ak: owner.ak, sk: owner.sk, projectId: owner.projectId };
}
