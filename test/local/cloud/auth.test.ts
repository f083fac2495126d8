import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { KafkaClient, ShowInstanceRequest } from '@huaweicloud/huaweicloud-sdk-kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTemporaryCredentials, issueToken } from '../../../local/cloud/iam.js';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import { cloudCall, ownerCredentials, rawCall } from '../../helpers/emulator-calls.js';

let emu: EmulatorHandle;
let topicsPath: string;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0, modules: [] });
  topicsPath = `/v2/${emu.seed!.owner.projectId}/notifications/topics`;
});
afterAll(async () => {
  await emu.close();
});

function expectAuthFailure(
  res: { status: number; json: any; headers: Record<string, unknown> },
  reason: RegExp,
): void {
  expect(res.status).toBe(401);
  expect(res.json.error_code).toBe('APIGW.0301');
  expect(res.json.error_msg).toMatch(/^Incorrect IAM authentication information: /);
  expect(res.json.error_msg).toMatch(reason);
  expect(res.json.request_id).toBe(res.headers['x-request-id']);
}

describe('emulator authentication', () => {
  it('accepts a request signed by signRequest with the account AK/SK', async () => {
    const res = await cloudCall(emu, { method: 'GET', path: topicsPath, credentials: ownerCredentials(emu) });
    expect(res.status).toBe(200);
  });

  it('accepts the official SDK’s own signature (an independent signer as oracle)', async () => {
    const full = await startEmulator({ speed: 0 });
    try {
      const { owner, instanceId } = full.seed!;
      const credentials = new BasicCredentials()
        .withAk(owner.ak)
        .withSk(owner.sk)
        .withProjectId(owner.projectId);
      const client = KafkaClient.newBuilder().withCredential(credentials).withEndpoint(full.endpoint).build();
      const instance = await client.showInstance(new ShowInstanceRequest().withInstanceId(instanceId));
      expect(instance.name).toBe('kvl-demo-kafka');
      expect(full.requests()).toEqual([expect.objectContaining({ status: 200, service: 'dms' })]);
    } finally {
      await full.close();
    }
  });

  it('refuses a signature made with the wrong SK', async () => {
    const creds = { ...ownerCredentials(emu), sk: 'x'.repeat(40) };
    expectAuthFailure(
      await cloudCall(emu, { method: 'GET', path: topicsPath, credentials: creds }),
      /signature mismatch/,
    );
  });

  it('refuses an unknown AK', async () => {
    const creds = { ...ownerCredentials(emu), ak: 'KVLEMUAK999999999999' };
    expectAuthFailure(
      await cloudCall(emu, { method: 'GET', path: topicsPath, credentials: creds }),
      /unknown access key/,
    );
  });

  it('refuses an X-Sdk-Date more than 15 minutes off the real clock, whatever the emulated time', async () => {
    emu.clock.advance(3_600_000); // the emulated clock is irrelevant for signatures
    const skewed = new Date(Date.now() - 16 * 60_000);
    expectAuthFailure(
      await cloudCall(emu, {
        method: 'GET',
        path: topicsPath,
        credentials: ownerCredentials(emu),
        date: skewed,
      }),
      /clock skew/,
    );
    const slightlyOff = new Date(Date.now() - 10 * 60_000);
    const ok = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      credentials: ownerCredentials(emu),
      date: slightlyOff,
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a tampered body', async () => {
    const { signRequest } = await import('../../../shared/cloud/signer.js');
    const url = `${emu.endpoint}${topicsPath}`;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    Object.assign(
      headers,
      signRequest({ method: 'POST', url, headers, body: '{"name":"a"}' }, ownerCredentials(emu)),
    );
    const res = await rawCall(emu.endpoint, {
      method: 'POST',
      path: topicsPath,
      headers,
      body: '{"name":"b"}',
    });
    expectAuthFailure(res, /signature mismatch/);
  });

  it('refuses a request without credentials', async () => {
    expectAuthFailure(await cloudCall(emu, { method: 'GET', path: topicsPath }), /missing Authorization/);
  });

  it('requires the security token with temporary credentials', async () => {
    const temp = issueTemporaryCredentials(emu.world, emu.clock, emu.seed!.owner, 900);
    const projectId = emu.seed!.owner.projectId;
    const without = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      credentials: { ak: temp.ak, sk: temp.sk, projectId },
    });
    expectAuthFailure(without, /X-Security-Token/);
    const wrong = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      credentials: { ak: temp.ak, sk: temp.sk, projectId, securityToken: `${temp.securityToken}x` },
    });
    expectAuthFailure(wrong, /X-Security-Token/);
    const ok = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      credentials: { ak: temp.ak, sk: temp.sk, projectId, securityToken: temp.securityToken },
    });
    expect(ok.status).toBe(200);
  });

  it('refuses temporary credentials once they expired on the emulated clock', async () => {
    const temp = issueTemporaryCredentials(emu.world, emu.clock, emu.seed!.owner, 900);
    emu.clock.advance(901_000);
    const res = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      credentials: { ak: temp.ak, sk: temp.sk, securityToken: temp.securityToken },
    });
    expectAuthFailure(res, /expired/);
  });

  it('accepts an emulator-issued X-Auth-Token instead of a signature, and refuses others', async () => {
    const token = issueToken(emu.world, emu.clock, emu.seed!.owner);
    const ok = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      headers: { 'X-Auth-Token': token.token },
    });
    expect(ok.status).toBe(200);
    const bad = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      headers: { 'X-Auth-Token': 'MIIforged' },
    });
    expectAuthFailure(bad, /token is invalid/);
  });

  it('scopes a token to its own project', async () => {
    const token = issueToken(emu.world, emu.clock, emu.seed!.partner);
    const res = await cloudCall(emu, {
      method: 'GET',
      path: topicsPath,
      headers: { 'X-Auth-Token': token.token },
    });
    expect(res.status).toBe(403);
    expect(res.json.error_code).toBe('APIGW.0302');
  });
});
