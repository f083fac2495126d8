/**
 * One table of what is secret (shared/redaction.ts), and every output that uses it: the function
 * logs, the cloud clients' error messages and the emulator's exchange log. Each secret kind must be
 * gone from all three.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { redactSecrets as redactExchange } from '../../../local/cloud/exchange-log.js';
import { CloudApiError } from '../../../shared/cloud/errors.js';
import { clearRegisteredSecrets, REDACTED, redactText, registerSecret } from '../../../shared/redaction.js';
import { createLogger } from '../../../shared/runtime/logger.js';
import { createMemorySink } from '../../helpers/memory-sink.js';

afterEach(() => clearRegisteredSecrets());

// [kind, the secret, the field it sits in (absent: text only), the free text carrying it]
const KINDS: ReadonlyArray<[string, string, string | undefined, string]> = [
  ['a password', 'pw0Secret9', 'password', 'login with password=pw0Secret9 failed'],
  ['an SK', 'skValue0123456789', 'sk', 'credentials sk: skValue0123456789'],
  ['a security token', 'stValue0123456789', 'X-Security-Token', 'X-Security-Token: stValue0123456789'],
  ['an IAM token', 'iamTok0123456789', 'X-Auth-Token', 'header X-Auth-Token=iamTok0123456789'],
  ['encrypted user data', 'eud0123456789', 'encrypted_user_data', '{"encrypted_user_data":"eud0123456789"}'],
  ['a passcode', 'pc0123456789', 'passcode', 'passcode=pc0123456789'],
  ['a client secret', 'cs0123456789', 'clientSecret', '{"clientSecret": "cs0123456789"}'],
  [
    'the AK of an SDK-HMAC header',
    'AKHMAC0123456789',
    undefined,
    'Authorization: SDK-HMAC-SHA256 Access=AKHMAC0123456789, SignedHeaders=host, Signature=0abc',
  ],
  ['a bearer token', 'eyJhbGciOi.pay.sig', undefined, 'sent Bearer eyJhbGciOi.pay.sig to the API'],
  ['a registered value under no telling key', 'registeredSecret42', undefined, 'echo: registeredSecret42'],
];

describe('every secret kind is redacted in every output', () => {
  it.each(KINDS)('%s', (_kind, secret, key, text) => {
    // Arrange
    registerSecret('registeredSecret42');
    const sink = createMemorySink();
    const logger = createLogger({ sink, now: () => new Date(0) });
    const fields = key === undefined ? { note: text } : { [key]: secret, note: text };

    // Act
    logger.info(text, fields);
    const error = new CloudApiError({ service: 'vpcep', httpStatus: 400, code: 'X', serverMessage: text });
    const exchange = JSON.stringify(redactExchange({ body: fields }));

    // Assert
    expect(sink.lines[0]).not.toContain(secret);
    expect(sink.lines[0]).toContain(REDACTED);
    expect(error.message).not.toContain(secret);
    expect(error.serverMessage).not.toContain(secret);
    expect(exchange).not.toContain(secret);
    expect(exchange).toContain(REDACTED);
  });

  it('leaves ordinary words and pairs alone', () => {
    // Arrange
    const sink = createMemorySink();
    const text = 'the task: done; disk=ok; marker=abc; advertised_ip=10.0.0.1';

    // Act
    createLogger({ sink, now: () => new Date(0) }).info(text, { task: 'x', disk: 'y' });
    const error = new CloudApiError({ service: 'dms', httpStatus: 400, code: 'X', serverMessage: text });

    // Assert
    expect(JSON.parse(sink.lines[0] ?? '{}')).toMatchObject({ message: text, task: 'x', disk: 'y' });
    expect(error.serverMessage).toBe(text);
    expect(redactExchange({ access: 'AK', methods: ['password'] })).toEqual({
      access: 'AK',
      methods: ['password'],
    });
  });

  it('keeps an error naming a secret variable, and cuts the variable assigned', () => {
    // Arrange
    const sink = createMemorySink();

    // Act
    createLogger({ sink, now: () => new Date(0) }).error(
      'KVL_KAFKA_PASSWORD: required when the instance uses SASL_SSL; env KVL_KAFKA_PASSWORD=hunter2x',
    );

    // Assert
    expect(sink.lines[0]).toContain('KVL_KAFKA_PASSWORD: required when');
    expect(sink.lines[0]).toContain(`KVL_KAFKA_PASSWORD=${REDACTED}`);
    expect(sink.lines[0]).not.toContain('hunter2x');
  });

  it('finds a secret pair inside the value of an ordinary one', () => {
    const error = new CloudApiError({
      service: 'iam',
      httpStatus: 400,
      code: 'X',
      serverMessage: 'body: password=hunter2secret',
    });
    expect(error.message).not.toContain('hunter2secret');
  });

  it('scans long untrusted text in linear time (no backtracking blow-up)', () => {
    // Arrange: a long word, a long run of pairs, a long secret value.
    const inputs = ['A'.repeat(100_000), 'a='.repeat(50_000), `token=${'x'.repeat(100_000)} tail`];

    // Act
    const started = performance.now();
    const outputs = inputs.map(redactText);
    const elapsed = performance.now() - started;

    // Assert: the quadratic version took seconds already at 10 000 characters.
    expect(elapsed).toBeLessThan(2_000);
    expect(outputs[2]).toBe(`token=${REDACTED} tail`);
  });
});
