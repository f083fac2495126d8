import { afterEach, describe, expect, it } from 'vitest';
import {
  clearRegisteredSecrets,
  createLogger,
  isSecretKey,
  LoggerOptionsError,
  redact,
  redactString,
  registerSecret,
  serializeError,
} from '../../../shared/runtime/index.js';
import { createMemorySink } from '../../helpers/memory-sink.js';

afterEach(() => clearRegisteredSecrets());

const fixedNow = () => new Date('2026-11-25T10:00:00.000Z');

describe('createLogger', () => {
  it('writes one JSON line per entry with the leading fields first', () => {
    const sink = createMemorySink();
    const logger = createLogger({
      sink,
      now: fixedNow,
      fields: { requestId: 'req-1', step: 'create-services' },
    });
    logger.child({ instanceId: 'inst-1' }).info('services ready', { count: 3 });
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]).toBe(
      '{"time":"2026-11-25T10:00:00.000Z","level":"info","message":"services ready","requestId":"req-1","step":"create-services","instanceId":"inst-1","count":3}',
    );
  });

  it('filters by level', () => {
    const sink = createMemorySink();
    const logger = createLogger({ sink, level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(sink.entries().map((e) => e.level)).toEqual(['warn', 'error']);
    expect(logger.child({}).level).toBe('warn');
  });

  it('writes every level to stderr by default, keeping stdout for command output', () => {
    const writes: Array<[string, string]> = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string) =>
      writes.push(['out', chunk]) > 0) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) =>
      writes.push(['err', chunk]) > 0) as typeof process.stderr.write;
    try {
      const logger = createLogger();
      logger.info('a');
      logger.error('b');
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(writes.map(([s]) => s)).toEqual(['err', 'err']);
    expect(writes[1]?.[1].endsWith('\n')).toBe(true);
  });

  it('validates its options', () => {
    expect(() => createLogger({ level: 'loud' as never })).toThrow(LoggerOptionsError);
    expect(() => createLogger({ sink: {} as never })).toThrow(LoggerOptionsError);
  });

  it('never throws on unserializable fields, cycles or a failing sink', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const sink = createMemorySink();
    const logger = createLogger({ sink });
    logger.info('x', { cyclic, big: 10n, fn: () => 1, when: new Date(0), buf: Buffer.from('abc') });
    expect(sink.entries()[0]).toMatchObject({
      cyclic: { a: 1, self: '[Circular]' },
      big: '10',
      when: '1970-01-01T00:00:00.000Z',
      buf: '[3 bytes]',
    });
    const broken = createLogger({
      sink: {
        write: () => {
          throw new Error('disk full');
        },
      },
    });
    expect(() => broken.error('still fine')).not.toThrow();
  });

  it('a field named like a reserved key does not overwrite it', () => {
    const sink = createMemorySink();
    createLogger({ sink }).info('real', { message: 'fake', level: 'fake' });
    expect(sink.entries()[0]).toMatchObject({ message: 'real', level: 'info', 'field.message': 'fake' });
  });
});

describe('redaction', () => {
  it('masks secret-looking keys at any depth', () => {
    const sink = createMemorySink();
    createLogger({ sink }).info('call', {
      ak: 'AKIAEXAMPLE',
      request: {
        headers: { Authorization: 'SDK-HMAC-SHA256 Access=AK, Signature=abc', 'X-Security-Token': 'tok' },
        body: { password: 'hunter2', nested: [{ clientSecret: 'x' }, { HUAWEICLOUD_SDK_SK: 'y' }] },
      },
      task: 'keep me',
      disk: 'keep me too',
      securityGroupRuleId: 'rule-1',
    });
    const entry = sink.entries()[0] as Record<string, any>;
    expect(entry.ak).toBe('***');
    expect(entry.request.headers.Authorization).toBe('***');
    expect(entry.request.headers['X-Security-Token']).toBe('***');
    expect(entry.request.body.password).toBe('***');
    expect(entry.request.body.nested).toEqual([{ clientSecret: '***' }, { HUAWEICLOUD_SDK_SK: '***' }]);
    expect(entry.task).toBe('keep me');
    expect(entry.disk).toBe('keep me too');
    expect(entry.securityGroupRuleId).toBe('rule-1');
  });

  it.each([
    ['ak', true],
    ['sk', true],
    ['AK', true],
    ['userSk', true],
    ['securityToken', true],
    ['x-auth-token', true],
    ['Authorization', true],
    ['signature', true],
    ['accessKey', true],
    ['db_password', true],
    ['task', false],
    ['mask', false],
    ['disk', false],
    ['instanceId', false],
    ['skipped', false],
  ])('isSecretKey(%s) = %s', (key, expected) => {
    expect(isSecretKey(key)).toBe(expected);
  });

  it('cuts registered secret values out of messages, nested strings, errors and stacks', () => {
    const sk = 'Zq8sK2vNw9Lm3TgH7pRx';
    const token = 'MIIEjAYJKoZIhvcNAQcCoIIEfTCCBHkCAQExDTALBglghkgBZQMEAgEwgg';
    registerSecret(sk);
    registerSecret(token);
    const sink = createMemorySink();
    const logger = createLogger({ sink });
    const inner = new Error(`upstream echoed ${token}`);
    const error = new Error(`signing with ${sk} failed`, { cause: inner });
    logger.error(`oops ${sk}`, { note: [`a ${sk} b`], error, deep: { deeper: { text: `t=${token}` } } });
    const line = sink.lines[0] ?? '';
    expect(line).not.toContain(sk);
    expect(line).not.toContain(token);
    const entry = JSON.parse(line) as Record<string, any>;
    expect(entry.message).toBe('oops ***');
    expect(entry.note).toEqual(['a *** b']);
    expect(entry.error.message).toBe('signing with *** failed');
    expect(entry.error.stack).toContain('signing with *** failed');
    expect(entry.error.cause.message).toBe('upstream echoed ***');
  });

  it('masks own fields of errors by key (e.g. a request with headers)', () => {
    const error = Object.assign(new Error('bad'), { code: 'X', headers: { 'x-security-token': 'abc' } });
    expect(serializeError(error)).toMatchObject({
      name: 'Error',
      code: 'X',
      headers: { 'x-security-token': '***' },
    });
    expect(serializeError('plain')).toEqual({ name: 'NonError', message: 'plain' });
  });

  it('masks credential patterns in free text even when not registered', () => {
    expect(
      redactString('Authorization: SDK-HMAC-SHA256 Access=AKX, SignedHeaders=host, Signature=deadbeef'),
    ).toBe('Authorization: *** Access=***, SignedHeaders=host, Signature=***');
    expect(redactString('{"sk":"abc","other":"ok"}')).toBe('{"sk":"***","other":"ok"}');
    expect(redactString('Bearer eyJhbGciOi.x.y')).toBe('Bearer ***');
    expect(redactString('the task: done; disk=ok')).toBe('the task: done; disk=ok');
  });

  it('ignores too-short secret values (they would shred ordinary words)', () => {
    registerSecret('ab');
    expect(redactString('abc')).toBe('abc');
  });

  it('redact() returns a JSON-safe copy and leaves the input untouched', () => {
    const input = { token: 'x', list: [{ password: 'p' }] };
    expect(redact(input)).toEqual({ token: '***', list: [{ password: '***' }] });
    expect(input.token).toBe('x');
  });
});
