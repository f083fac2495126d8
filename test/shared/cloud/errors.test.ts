import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  CloudApiError,
  CloudNetworkError,
  ConflictError,
  CrossVpcModifyError,
  cloudErrorFromResponse,
  EndpointBusyError,
  InstanceBusyError,
  InvalidSubnetError,
  isRetryable,
  NotFoundError,
  NotWhitelistedError,
  PortAlreadyServedError,
  parseErrorBody,
  QuotaExceededError,
  redactSecrets,
  ServiceInUseError,
  ServiceNotReadyError,
  ThrottledError,
  VpcNotFoundError,
} from '../../../shared/cloud/errors.js';
import { EXAMPLES_DIR } from '../../helpers/fake-api-server.js';

const EXAMPLES = EXAMPLES_DIR;

function fixture(name: string): { status?: number; body: unknown } {
  return JSON.parse(readFileSync(`${EXAMPLES}/${name}`, 'utf8')) as { status?: number; body: unknown };
}

describe('parseErrorBody on the documented error fixtures', () => {
  it.each([
    ['dms-error.example.json', { code: 'AS.0001', message: 'The format of message is error' }],
    ['vpcep-error.example.json', { code: 'EndPoint.0002', message: 'Parameter error.' }],
    ['vpc-error.example.json', { code: 'VPC.0002', message: 'Available zone Name is null.' }],
    [
      'smn-error.example.json',
      { code: 'SMN.0006', message: 'Topic not found.', requestId: 'aad0860d089c482b943971f802a6718e' },
    ],
  ])('%s', (file, expected) => {
    // Arrange
    const { status, body } = fixture(file);

    // Act
    const parsed = parseErrorBody(body);
    const error = cloudErrorFromResponse({ service: 'vpcep', status: status ?? 400, body });

    // Assert
    expect(parsed).toEqual({ requestId: undefined, ...expected });
    expect(error.code).toBe(expected.code);
    expect(error.serverMessage).toBe(expected.message);
    expect(error.message).toContain(expected.code);
  });

  it('reads nested, Neutron and APIGW envelopes and JSON given as text or bytes', () => {
    expect(parseErrorBody({ error: { code: 'EndPoint.2006', message: 'gone' } })).toMatchObject({
      code: 'EndPoint.2006',
      message: 'gone',
    });
    expect(
      parseErrorBody({ NeutronError: { type: 'SecurityGroupRuleExists', message: 'dup' } }),
    ).toMatchObject({
      code: 'SecurityGroupRuleExists',
      message: 'dup',
    });
    expect(
      parseErrorBody(
        '{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"r1"}',
      ),
    ).toEqual({ code: 'APIGW.0301', message: 'Incorrect IAM authentication information', requestId: 'r1' });
    expect(parseErrorBody(Buffer.from('{"code":"VPC.9904","message":"no rule"}'))).toMatchObject({
      code: 'VPC.9904',
    });
    expect(parseErrorBody('<html>Bad gateway</html>')).toEqual({ message: '<html>Bad gateway</html>' });
    expect(parseErrorBody('')).toEqual({});
    expect(parseErrorBody(undefined)).toEqual({});
  });
});

describe('cloudErrorFromResponse picks the class', () => {
  it.each([
    [404, { error_code: 'DMS.00404022', error_msg: 'x' }, NotFoundError, false],
    [400, { error_code: 'EndPoint.0005', error_msg: 'x' }, NotFoundError, false],
    [400, { error_code: 'EndPoint.2007', error_msg: 'x' }, NotFoundError, false],
    [404, { code: 'VPC.9904', message: 'x' }, NotFoundError, false],
    [409, { code: 'VPC.9902', message: 'x' }, ConflictError, false],
    [429, { error_code: 'APIGW.0308', error_msg: 'x' }, ThrottledError, true],
    [429, { error_code: 'APIG.0308', error_msg: 'x' }, ThrottledError, true],
    [400, { error_code: 'EndPoint.0022', error_msg: 'x' }, ThrottledError, true],
    [404, { error_code: 'DMS.10240407', error_msg: 'x' }, ThrottledError, true],
    [400, { error_code: 'DMS.00400026', error_msg: 'x' }, InstanceBusyError, true],
    [401, { error_code: 'APIGW.0301', error_msg: 'x' }, AuthError, false],
    [400, { error_code: 'APIGW.0301', error_msg: 'x' }, AuthError, false],
    [500, { error_code: 'EndPoint.0001', error_msg: 'x' }, CloudApiError, true],
    [502, undefined, CloudApiError, true],
    [400, { error_code: 'EndPoint.0002', error_msg: 'x' }, CloudApiError, false],
    // The VPCEP answers the domain branches on, by name (reference §B error table).
    [400, { error_code: 'Endpoint.1018', error_msg: 'x' }, QuotaExceededError, false],
    [400, { error_code: 'EndPoint.2004', error_msg: 'x' }, ServiceNotReadyError, false],
    [400, { error_code: 'EndPoint.2018', error_msg: 'x' }, EndpointBusyError, false],
    [400, { error_code: 'EndPoint.2019', error_msg: 'x' }, EndpointBusyError, false],
    [400, { error_code: 'EndPoint.3006', error_msg: 'x' }, ServiceInUseError, false],
    [400, { error: { code: 'EndPoint.3044', message: 'x' } }, PortAlreadyServedError, false],
    [400, { error_code: 'EndPoint.2001', error_msg: 'x' }, VpcNotFoundError, false],
    [404, { error_code: 'EndPoint.4004', error_msg: 'x' }, InvalidSubnetError, false],
    [400, { error_code: 'EndPoint.2037', error_msg: 'x' }, InvalidSubnetError, false],
    [400, { error_code: 'EndPoint.2012', error_msg: 'x' }, NotWhitelistedError, false],
  ])('HTTP %i %j', (status, body, type, retryable) => {
    // Act
    const error = cloudErrorFromResponse({ service: 'dms', status, body, statusText: 'Status Text' });

    // Assert
    expect(error).toBeInstanceOf(type);
    expect(error.constructor).toBe(type);
    expect(error.retryable).toBe(retryable);
    expect(isRetryable(error)).toBe(retryable);
  });

  it('falls back to the status text and a HTTP_<status> code', () => {
    // Act
    const error = cloudErrorFromResponse({
      service: 'vpc',
      status: 503,
      statusText: 'Service Unavailable',
      body: '',
    });

    // Assert
    expect(error.code).toBe('HTTP_503');
    expect(error.serverMessage).toBe('Service Unavailable');
    expect(error.message).toBe('vpc: HTTP 503 HTTP_503: Service Unavailable');
  });

  it('describes where it happened and keeps the cause', () => {
    // Arrange
    const cause = new Error('low level');

    // Act
    const error = cloudErrorFromResponse({
      service: 'vpcep',
      method: 'GET',
      path: '/v1/p/vpc-endpoints/e1',
      status: 404,
      body: { error_code: 'EndPoint.2006', error_msg: 'Endpoint not found.' },
      requestId: 'rq',
      cause,
    });

    // Assert
    expect(error.message).toBe(
      'vpcep GET /v1/p/vpc-endpoints/e1: HTTP 404 EndPoint.2006: Endpoint not found. (request id rq)',
    );
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('NotFoundError');
  });
});

describe('isRetryable', () => {
  it('covers network errors, timeouts and other errors', () => {
    expect(isRetryable(new CloudNetworkError({ service: 'dms', code: 'TIMEOUT', serverMessage: 't' }))).toBe(
      true,
    );
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(isRetryable({ retryable: true })).toBe(true);
    expect(isRetryable('string')).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });
});

describe('secrets', () => {
  it('redacts signatures, access keys and tokens echoed by a server', () => {
    // Arrange
    const echoed =
      'bad header Authorization: SDK-HMAC-SHA256 Access=AKX, SignedHeaders=host, Signature=abcdef0123 X-Security-Token: tok123';

    // Act
    const error = cloudErrorFromResponse({
      service: 'dms',
      status: 401,
      body: { error_code: 'APIGW.0301', error_msg: echoed },
    });

    // Assert
    for (const secret of ['AKX', 'abcdef0123', 'tok123']) expect(error.message).not.toContain(secret);
    expect(redactSecrets('X-Auth-Token=abc')).toBe('X-Auth-Token=[redacted]');
  });
});

describe('CrossVpcModifyError', () => {
  it('names the failed listeners', () => {
    // Act
    const error = new CrossVpcModifyError('inst-1', ['10.0.0.1', '10.0.0.2'], undefined, { cause: 'x' });

    // Assert
    expect(error.failedListeners).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(error.message).toContain('10.0.0.1, 10.0.0.2');
    expect(error.name).toBe('CrossVpcModifyError');
    expect(error.cause).toBe('x');
  });
});
