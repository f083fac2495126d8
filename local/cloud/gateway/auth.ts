/**
 * The gateway's checks before a service sees a call: who the caller is (authentication), what an
 * assumed agency may do, and whether the project the call names is the caller's (project scope).
 */
import type { IncomingMessage } from 'node:http';
import { verifySignature } from '../../../shared/cloud/signer.js';
import { deniedAction } from '../iam.js';
import type { Caller, ServiceModule, World } from '../types.js';

/** Why the gateway refuses a call, in its own `APIGW.*` words. */
export interface GatewayRejection {
  status: number;
  code: string;
  message: string;
}

export interface AuthInput {
  method: string;
  rawUrl: string;
  path: string;
  rawBody: Buffer;
}

const unauthenticated = (reason: string): GatewayRejection => ({
  status: 401,
  code: 'APIGW.0301',
  message: `Incorrect IAM authentication information: ${reason}`,
});

/**
 * Signature (AK/SK, permanent or temporary with its security token) or an emulator-issued
 * X-Auth-Token. X-Sdk-Date is compared with the real wall clock, not the emulated one: clients
 * sign with their real time, and the emulated clock may run fast or be frozen; token and
 * temporary-credential expiry follow the emulated clock (`now`).
 */
export function authenticate(
  req: IncomingMessage,
  call: AuthInput,
  module: ServiceModule,
  world: World,
  now: number,
  maxSkewMs: number,
): { caller: Caller } | GatewayRejection {
  if (module.allowsAnonymous?.(call.method, call.path)) {
    return { caller: { domainId: '', projectId: '', ak: '', temporary: false, authMethod: 'none' } };
  }
  const authorization = req.headers.authorization;
  const authToken = req.headers['x-auth-token'];

  if (!authorization && typeof authToken === 'string') {
    const token = (world.tokens ?? []).find((t) => t.token === authToken);
    if (!token) return unauthenticated('the token is invalid');
    if (token.expiresAt <= now) return unauthenticated('the token has expired');
    return {
      caller: {
        domainId: token.domainId,
        projectId: token.projectId,
        ak: '',
        temporary: false,
        authMethod: 'token',
      },
    };
  }
  if (!authorization) return unauthenticated('missing Authorization (or X-Auth-Token) header');

  const result = verifySignature(
    { method: call.method, url: call.rawUrl, headers: req.headers, body: call.rawBody },
    (ak) =>
      world.accounts.find((a) => a.ak === ak)?.sk ?? world.temporaryCredentials.find((c) => c.ak === ak)?.sk,
    new Date(),
    maxSkewMs,
  );
  if (!result.ok) return unauthenticated(result.reason);

  const account = world.accounts.find((a) => a.ak === result.ak);
  if (account) {
    return {
      caller: {
        domainId: account.domainId,
        projectId: account.projectId,
        ak: account.ak,
        temporary: false,
        authMethod: 'aksk',
      },
    };
  }
  const temporary = world.temporaryCredentials.find((c) => c.ak === result.ak);
  if (!temporary) return unauthenticated('unknown access key');
  const securityToken = req.headers['x-security-token'];
  if (securityToken !== temporary.securityToken) {
    return unauthenticated('temporary credentials need their X-Security-Token');
  }
  if (temporary.expiresAt <= now) return unauthenticated('the temporary credentials have expired');
  return {
    caller: {
      domainId: temporary.domainId,
      projectId: temporary.projectId,
      ak: temporary.ak,
      temporary: true,
      authMethod: 'aksk',
      ...(temporary.allowedActions ? { allowedActions: temporary.allowedActions } : {}),
    },
  };
}

/**
 * What an authenticated caller may not do: an action outside an assumed agency's policies, or a
 * project that is not the caller's. The gateway resolves X-Project-Id against the AK's account;
 * the path's {project_id} is checked by each service with its own error (DMS, VPCEP and VPC do
 * it), or here for modules that declare where their project id is (`projectIdInPath`).
 */
export function authorize(
  req: IncomingMessage,
  caller: Caller,
  method: string,
  path: string,
  module: ServiceModule,
): GatewayRejection | undefined {
  // Credentials of an assumed agency may do only what the agency's policies allow.
  const denied = deniedAction(caller, method, path);
  if (denied)
    return { status: 403, code: 'APIGW.0302', message: `Policy doesn't allow ${denied} to be performed.` };
  if (caller.authMethod === 'none') return undefined;
  const headerProject = req.headers['x-project-id'];
  if (typeof headerProject === 'string' && headerProject !== caller.projectId) {
    return unauthenticated('X-Project-Id is not a project of the caller');
  }
  const pathProject = module.projectIdInPath?.(path);
  if (pathProject !== undefined && pathProject !== caller.projectId) {
    return {
      status: 403,
      code: 'APIGW.0302',
      message:
        'The IAM user is not authorized to access the API: the project id does not belong to the caller',
    };
  }
  return undefined;
}
