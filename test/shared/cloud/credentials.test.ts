import { describe, expect, it } from 'vitest';
import {
  CredentialsError,
  fromEnv,
  fromFunctionGraphContext,
  projectIdFromEnv,
  staticCredentials,
} from '../../../shared/cloud/credentials.js';

describe('fromEnv', () => {
  it('reads AK, SK and the optional security token', async () => {
    // Arrange
    const env = {
      HUAWEICLOUD_SDK_AK: 'ak1',
      HUAWEICLOUD_SDK_SK: 'sk1',
      HUAWEICLOUD_SDK_SECURITY_TOKEN: 'tok',
    };

    // Act
    const creds = await fromEnv(env)();

    // Assert
    expect(creds).toEqual({ ak: 'ak1', sk: 'sk1', securityToken: 'tok' });
  });

  it('omits an empty security token', async () => {
    expect(
      await fromEnv({
        HUAWEICLOUD_SDK_AK: 'a',
        HUAWEICLOUD_SDK_SK: 's',
        HUAWEICLOUD_SDK_SECURITY_TOKEN: '',
      })(),
    ).toEqual({
      ak: 'a',
      sk: 's',
    });
  });

  it('names the missing variable without printing any value', () => {
    // Act
    const missingSk = (() => {
      try {
        fromEnv({ HUAWEICLOUD_SDK_AK: 'visible-ak-value' });
      } catch (e) {
        return e;
      }
    })();
    const missingAk = (() => {
      try {
        fromEnv({ HUAWEICLOUD_SDK_SK: 'secret-value' });
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect(missingSk).toBeInstanceOf(CredentialsError);
    expect((missingSk as CredentialsError).variable).toBe('HUAWEICLOUD_SDK_SK');
    expect((missingSk as Error).message).toContain('HUAWEICLOUD_SDK_SK');
    expect((missingSk as Error).message).not.toContain('visible-ak-value');
    expect((missingAk as CredentialsError).variable).toBe('HUAWEICLOUD_SDK_AK');
    expect((missingAk as Error).message).not.toContain('secret-value');
  });

  it('re-reads the environment on each call', async () => {
    // Arrange
    const env: Record<string, string | undefined> = { HUAWEICLOUD_SDK_AK: 'a1', HUAWEICLOUD_SDK_SK: 's1' };
    const provider = fromEnv(env);

    // Act
    env.HUAWEICLOUD_SDK_AK = 'a2';

    // Assert
    expect((await provider()).ak).toBe('a2');
  });
});

describe('staticCredentials', () => {
  it('returns the given credentials and rejects empty ones', async () => {
    expect(await staticCredentials({ ak: 'a', sk: 's', securityToken: 't' })()).toEqual({
      ak: 'a',
      sk: 's',
      securityToken: 't',
    });
    expect(() => staticCredentials({ ak: '', sk: 's' })).toThrow(CredentialsError);
    expect(() => staticCredentials({ ak: 'a', sk: ' ' })).toThrow(CredentialsError);
  });
});

describe('fromFunctionGraphContext', () => {
  it('reads the agency credentials on every call', async () => {
    // Arrange
    let n = 0;
    const ctx = {
      getSecurityAccessKey: () => `ak${++n}`,
      getSecuritySecretKey: () => 'sk',
      getSecurityToken: () => 'tok',
    };
    const provider = fromFunctionGraphContext(ctx);

    // Act
    const first = await provider();
    const second = await provider();

    // Assert
    expect(first).toEqual({ ak: 'ak1', sk: 'sk', securityToken: 'tok' });
    expect(second.ak).toBe('ak2');
  });

  it('fails clearly without an agency', async () => {
    const provider = fromFunctionGraphContext({
      getSecurityAccessKey: () => '',
      getSecuritySecretKey: () => '',
      getSecurityToken: () => '',
    });
    await expect(provider()).rejects.toThrow(/agency/);
  });
});

describe('projectIdFromEnv', () => {
  it('reads HUAWEICLOUD_SDK_PROJECT_ID', () => {
    expect(projectIdFromEnv({ HUAWEICLOUD_SDK_PROJECT_ID: ' p1 ' })).toBe('p1');
    expect(projectIdFromEnv({})).toBeUndefined();
  });
});
