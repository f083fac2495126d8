/**
 * Credential providers. Each returns a `CredentialsProvider` (a function) so that temporary
 * credentials can be re-read for every request; values are never logged or put into messages.
 */
import type { Credentials, CredentialsProvider } from './types.js';

export type Env = Record<string, string | undefined>;

export const ENV_AK = 'HUAWEICLOUD_SDK_AK';
export const ENV_SK = 'HUAWEICLOUD_SDK_SK';
export const ENV_SECURITY_TOKEN = 'HUAWEICLOUD_SDK_SECURITY_TOKEN';
export const ENV_PROJECT_ID = 'HUAWEICLOUD_SDK_PROJECT_ID';

/** Missing or unusable credentials; names the variable or field, never its value. */
export class CredentialsError extends Error {
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CredentialsError';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function freeze(c: Credentials): Credentials {
  return Object.freeze(
    c.securityToken ? { ak: c.ak, sk: c.sk, securityToken: c.securityToken } : { ak: c.ak, sk: c.sk },
  );
}

/** Reads HUAWEICLOUD_SDK_AK / _SK / _SECURITY_TOKEN at call time, so a changed env is picked up. */
export function fromEnv(env: Env = process.env): CredentialsProvider {
  const read = (): Credentials => {
    const ak = nonEmpty(env[ENV_AK]);
    if (!ak) throw new CredentialsError(ENV_AK, `environment variable ${ENV_AK} is not set`);
    const sk = nonEmpty(env[ENV_SK]);
    if (!sk) throw new CredentialsError(ENV_SK, `environment variable ${ENV_SK} is not set`);
    return freeze({ ak, sk, securityToken: nonEmpty(env[ENV_SECURITY_TOKEN]) });
  };
  // Fail fast at construction (a misconfigured function should not start), and re-read per call.
  read();
  return async () => read();
}

export function staticCredentials(c: Credentials): CredentialsProvider {
  if (!nonEmpty(c.ak)) throw new CredentialsError('ak', 'access key (ak) is empty');
  if (!nonEmpty(c.sk)) throw new CredentialsError('sk', 'secret key (sk) is empty');
  const frozen = freeze(c);
  return async () => frozen;
}

/** The FunctionGraph context of a function with an agency (temporary AK/SK + security token). */
export interface FunctionGraphCredentialContext {
  getSecurityAccessKey(): string;
  getSecuritySecretKey(): string;
  getSecurityToken(): string;
}

/** Reads the agency's temporary credentials from the context on every call (they rotate). */
export function fromFunctionGraphContext(ctx: FunctionGraphCredentialContext): CredentialsProvider {
  return async () => {
    const ak = nonEmpty(ctx.getSecurityAccessKey());
    if (!ak)
      throw new CredentialsError(
        'securityAccessKey',
        'the function context has no access key; is an agency configured?',
      );
    const sk = nonEmpty(ctx.getSecuritySecretKey());
    if (!sk)
      throw new CredentialsError(
        'securitySecretKey',
        'the function context has no secret key; is an agency configured?',
      );
    return freeze({ ak, sk, securityToken: nonEmpty(ctx.getSecurityToken()) });
  };
}

/** HUAWEICLOUD_SDK_PROJECT_ID, or undefined when unset. */
export function projectIdFromEnv(env: Env = process.env): string | undefined {
  return nonEmpty(env[ENV_PROJECT_ID]);
}
