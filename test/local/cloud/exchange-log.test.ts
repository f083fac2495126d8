/**
 * The request log's query and body, the exchange observers and the exchange file: what the contract
 * checks of the suite read, with every secret redacted.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXCHANGE_FILE_ENV,
  type Exchange,
  type ExchangeObserver,
  exchangeObservers,
  notifyExchange,
  redactSecrets,
} from '../../../local/cloud/exchange-log.js';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import { cloudCall, ownerCredentials } from '../../helpers/emulator-calls.js';

let emu: EmulatorHandle;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0 });
});
afterAll(async () => {
  await emu.close();
});

describe('the request log', () => {
  it('records the query and the parsed body of each call', async () => {
    // Arrange
    emu.clearRequests();
    const pid = emu.seed!.owner.projectId;

    // Act
    await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${pid}/vpc-endpoints?limit=10&offset=0`,
      credentials: ownerCredentials(emu),
    });
    await cloudCall(emu, {
      method: 'POST',
      path: `/v1/${pid}/vpc-endpoints`,
      body: { endpoint_service_id: 'nope', vpc_id: 'nope', subnet_id: 'nope' },
      credentials: ownerCredentials(emu),
    });

    // Assert
    const [list, create] = emu.requests();
    expect(list).toMatchObject({ method: 'GET', query: { limit: '10', offset: '0' }, status: 200 });
    expect(list?.body).toBeUndefined();
    expect(create).toMatchObject({
      method: 'POST',
      query: {},
      body: { endpoint_service_id: 'nope', vpc_id: 'nope', subnet_id: 'nope' },
    });
  });

  it('never keeps a password or a secret: IAM token and temporary-credential bodies are redacted', async () => {
    // Arrange
    emu.clearRequests();
    const seen: Exchange[] = [];
    const stop = emu.onExchange((exchange) => seen.push(exchange));
    const owner = emu.seed!.owner;

    // Act
    const token = await cloudCall(emu, {
      method: 'POST',
      path: '/v3/auth/tokens',
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'x', password: owner.sk, domain: { name: 'x' } } },
          },
          scope: { project: { id: owner.projectId } },
        },
      },
    });
    const temporary = await cloudCall(emu, {
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/securitytokens',
      body: { auth: { identity: { methods: ['token'], token: { duration_seconds: 900 } } } },
      credentials: ownerCredentials(emu),
    });
    stop();

    // Assert
    expect(token.status).toBe(401);
    expect(temporary.status).toBe(201);
    const text = JSON.stringify({ log: emu.requests(), requests: seen.map((e) => e.body) });
    expect(text).not.toContain(owner.sk);
    // In-process observers get the answer the caller got; whatever is written is redacted first.
    const answer = JSON.stringify(redactSecrets(seen[1]?.responseBody));
    expect(answer).not.toContain(temporary.json.credential.secret);
    expect(answer).not.toContain(temporary.json.credential.securitytoken);
    expect(emu.requests()[0]?.body).toMatchObject({
      auth: { identity: { methods: ['password'], password: { user: { password: '[REDACTED]' } } } },
    });
  });

  it('shortens long strings (code packages) but keeps their type', () => {
    const redacted = redactSecrets({ func_code: { file: 'A'.repeat(10_000) } }) as {
      func_code: { file: string };
    };
    expect(typeof redacted.func_code.file).toBe('string');
    expect(redacted.func_code.file.length).toBeLessThan(200);
  });
});

describe('exchanges of emulators nobody observes in-process', () => {
  it('are appended to the exchange file, one JSON line each, secrets redacted', () => {
    // Arrange: the suite's own observer stands aside, as in a subprocess.
    const file = join(tmpdir(), `kvl-exchange-test-${process.pid}.jsonl`);
    const saved: ExchangeObserver[] = [...exchangeObservers];
    const savedEnv = process.env[EXCHANGE_FILE_ENV];
    exchangeObservers.clear();
    process.env[EXCHANGE_FILE_ENV] = file;
    const exchange: Exchange = {
      time: '2026-01-01T00:00:00.000Z',
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/securitytokens',
      query: {},
      status: 201,
      responseBody: { credential: { access: 'AK', secret: 'top-secret', securitytoken: 'tok' } },
      requestId: 'r1',
    };
    const redacted = {
      ...exchange,
      responseBody: { credential: { access: 'AK', secret: '[REDACTED]', securitytoken: '[REDACTED]' } },
    };
    try {
      // Act
      notifyExchange(exchange, new Set());
      notifyExchange(exchange, new Set());

      // Assert
      const written = readFileSync(file, 'utf8');
      expect(
        written
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual([redacted, redacted]);
      expect(written).not.toContain('top-secret');
    } finally {
      for (const observer of saved) exchangeObservers.add(observer);
      process.env[EXCHANGE_FILE_ENV] = savedEnv;
      rmSync(file, { force: true });
    }
    expect(existsSync(file)).toBe(false);
  });
});
