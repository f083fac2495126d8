import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import { cloudCall, ownerCredentials } from '../../helpers/emulator-calls.js';

let emu: EmulatorHandle;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0, modules: [] });
});
afterAll(async () => {
  await emu.close();
});

function passwordLogin(user: string, password: string) {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: user, password, domain: { name: user } } },
      },
      scope: { project: { name: emu.region } },
    },
  };
}

describe('emulator IAM', () => {
  it('finds the project id of the region (SDK project discovery)', async () => {
    const res = await cloudCall(emu, {
      method: 'GET',
      path: `/v3/projects?name=${emu.region}`,
      credentials: { ak: emu.seed!.owner.ak, sk: emu.seed!.owner.sk },
    });
    expect(res.status).toBe(200);
    expect(res.json.projects).toEqual([
      expect.objectContaining({
        id: emu.seed!.owner.projectId,
        name: emu.region,
        domain_id: emu.seed!.owner.domainId,
        enabled: true,
      }),
    ]);
    expect(res.json.links).toBeDefined();
    const none = await cloudCall(emu, {
      method: 'GET',
      path: '/v3/projects?name=cn-north-4',
      credentials: { ak: emu.seed!.owner.ak, sk: emu.seed!.owner.sk },
    });
    expect(none.json.projects).toEqual([]);
  });

  it('issues a token for a password login in X-Subject-Token, usable as X-Auth-Token', async () => {
    const owner = emu.seed!.owner;
    const login = await cloudCall(emu, {
      method: 'POST',
      path: '/v3/auth/tokens',
      body: passwordLogin(owner.domainName, owner.sk),
    });
    expect(login.status).toBe(201);
    const token = login.headers['x-subject-token'];
    expect(typeof token).toBe('string');
    expect(login.json.token.project.id).toBe(owner.projectId);
    const res = await cloudCall(emu, {
      method: 'GET',
      path: `/v2/${owner.projectId}/notifications/topics`,
      headers: { 'X-Auth-Token': token as string },
    });
    expect(res.status).toBe(200);
  });

  it('refuses a wrong password', async () => {
    const login = await cloudCall(emu, {
      method: 'POST',
      path: '/v3/auth/tokens',
      body: passwordLogin(emu.seed!.owner.domainName, 'wrong'),
    });
    expect(login.status).toBe(401);
    expect(login.json.error_code).toBe('IAM.0004');
    expect(login.headers['x-subject-token']).toBeUndefined();
  });

  it('issues temporary credentials for a token, which then sign requests with their security token', async () => {
    const owner = emu.seed!.owner;
    const login = await cloudCall(emu, {
      method: 'POST',
      path: '/v3/auth/tokens',
      body: passwordLogin(owner.domainName, owner.sk),
    });
    const token = login.headers['x-subject-token'] as string;
    const issued = await cloudCall(emu, {
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/securitytokens',
      headers: { 'X-Auth-Token': token },
      body: { auth: { identity: { methods: ['token'], token: { id: token, duration_seconds: 900 } } } },
    });
    expect(issued.status).toBe(201);
    const { access, secret, securitytoken, expires_at } = issued.json.credential;
    expect(access).toMatch(/^[A-Z0-9]{20}$/);
    expect(secret).toHaveLength(40);
    expect(Date.parse(expires_at) - emu.clock.now()).toBe(900_000);

    const res = await cloudCall(emu, {
      method: 'GET',
      path: `/v2/${owner.projectId}/notifications/topics`,
      credentials: { ak: access, sk: secret, securityToken: securitytoken, projectId: owner.projectId },
    });
    expect(res.status).toBe(200);
  });

  it('issues temporary credentials to a signed caller and validates duration_seconds', async () => {
    const signed = await cloudCall(emu, {
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/securitytokens',
      credentials: ownerCredentials(emu),
      body: { auth: { identity: { methods: ['token'], token: { duration_seconds: 3600 } } } },
    });
    expect(signed.status).toBe(201);
    const tooShort = await cloudCall(emu, {
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/securitytokens',
      credentials: ownerCredentials(emu),
      body: { auth: { identity: { methods: ['token'], token: { duration_seconds: 60 } } } },
    });
    expect(tooShort.status).toBe(400);
    expect(tooShort.json).toMatchObject({ error_code: 'IAM.0010' });
  });

  it('needs credentials for securitytokens', async () => {
    const res = await cloudCall(emu, {
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/securitytokens',
      body: { auth: { identity: { methods: ['token'], token: {} } } },
    });
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('APIGW.0301');
  });
});
