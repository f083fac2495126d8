import { describe, expect, it } from 'vitest';
import { CredentialsError } from '../../../shared/cloud/credentials.js';
import { CloudApiError, CloudNetworkError, ThrottledError } from '../../../shared/cloud/errors.js';
import { InvalidEventError } from '../../../shared/events/index.js';
import { LinkNotReadyError, LinkRejectedError } from '../../../shared/link/errors.js';
import {
  ConfigError,
  classifyError,
  InvocationTimeoutError,
  isRetryable,
  isTerminal,
  TerminalError,
} from '../../../shared/runtime/index.js';

const api = (httpStatus: number, code: string) =>
  new CloudApiError({ service: 'vpcep', httpStatus, code, serverMessage: 'm' });

describe('classifyError', () => {
  it.each([
    ['LinkRejectedError', new LinkRejectedError('s', 'r'), 'terminal'],
    ['TerminalError', new TerminalError('x'), 'terminal'],
    ['InvalidEventError', new InvalidEventError({ field: 'f', reason: 'r' }), 'terminal'],
    ['a 400 CloudApiError', api(400, 'EndPoint.0001'), 'terminal'],
    ['an unknown error', new TypeError('boom'), 'terminal'],
    ['a non-error value', 'just a string', 'terminal'],
    ['a 503 CloudApiError', api(503, 'SYS.0503'), 'retryable'],
    [
      'a ThrottledError',
      new ThrottledError({ service: 'dms', httpStatus: 429, code: 'APIGW.0308', serverMessage: 'm' }),
      'retryable',
    ],
    [
      'a CloudNetworkError',
      new CloudNetworkError({ service: 'vpc', code: 'TIMEOUT', serverMessage: 'm' }),
      'retryable',
    ],
    ['LinkNotReadyError', new LinkNotReadyError('s', 'not yet'), 'retryable'],
    ['the early timeout', new InvocationTimeoutError(1000), 'retryable'],
    ['a raw ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'retryable'],
    ['a wrapper around a 503', new Error('wrapped', { cause: api(503, 'X') }), 'retryable'],
    ['a terminal wrapper around a 503', new TerminalError('give up', { cause: api(503, 'X') }), 'terminal'],
    ['ConfigError', new ConfigError('HUAWEICLOUD_REGION', 'is not set'), 'fatal'],
    ['CredentialsError', new CredentialsError('HUAWEICLOUD_SDK_AK', 'not set'), 'fatal'],
  ])('%s → %s', (_name, error, expected) => {
    expect(classifyError(error)).toBe(expected);
    expect(isRetryable(error)).toBe(expected === 'retryable');
    expect(isTerminal(error)).toBe(expected === 'terminal');
  });

  it('TerminalError carries step, field, code and cause', () => {
    const cause = new Error('c');
    const error = new TerminalError('quota exceeded', {
      step: 'create-services',
      field: 'f',
      code: 'Q',
      cause,
    });
    expect(error).toMatchObject({
      name: 'TerminalError',
      step: 'create-services',
      field: 'f',
      code: 'Q',
      cause,
    });
  });
});
