/**
 * Cross-account access in the emulator: accounts are isolated, an account's agency delegated to
 * another account lets that account assume it (IAM v3 `assume_role`), and the temporary credentials
 * it yields may do only what the agency's policies allow, until they expire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import { CLIENT_AGENCY_ACTIONS } from '../../../local/cloud/world.js';
import { cloudCall } from '../../helpers/emulator-calls.js';

let emu: EmulatorHandle;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0 });
});
afterAll(async () => {
  await emu.close();
});

const owner = () => ({ ak: emu.seed!.owner.ak, sk: emu.seed!.owner.sk });
const partner = () => ({ ak: emu.seed!.partner.ak, sk: emu.seed!.partner.sk });

function assumeBody(agencyName: string, domainId: string, duration?: number) {
  return {
    auth: {
      identity: {
        methods: ['assume_role'],
        assume_role: {
          agency_name: agencyName,
          domain_id: domainId,
          ...(duration ? { duration_seconds: duration } : {}),
        },
      },
    },
  };
}

async function assume(credentials = owner(), agencyName = emu.seed!.partnerAgencyName, duration?: number) {
  return cloudCall(emu, {
    method: 'POST',
    path: '/v3.0/OS-CREDENTIAL/securitytokens',
    credentials,
    body: assumeBody(agencyName, emu.seed!.partner.domainId, duration),
  });
}

function temporary(res: { json: any }) {
  return {
    ak: res.json.credential.access,
    sk: res.json.credential.secret,
    securityToken: res.json.credential.securitytoken,
  };
}

describe('emulator agencies (cross-account)', () => {
  it('lists the partner agency in the connection JSON', () => {
    expect(emu.config().partner.agencyName).toBe(emu.seed!.partnerAgencyName);
  });

  it('an access key sees only its own account: projects and VPCs of another account are invisible', async () => {
    const projects = await cloudCall(emu, { method: 'GET', path: '/v3/projects', credentials: owner() });
    expect(projects.json.projects.map((p: { id: string }) => p.id)).toEqual([emu.seed!.owner.projectId]);
    const subnet = await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${emu.seed!.owner.projectId}/subnets/${emu.seed!.partnerSubnetId}`,
      credentials: owner(),
    });
    expect(subnet.status).toBe(404);
  });

  it('assume_role issues credentials of the partner account, limited to the agency and expiring', async () => {
    const res = await assume(owner(), emu.seed!.partnerAgencyName, 900);
    expect(res.status).toBe(201);
    expect(Date.parse(res.json.credential.expires_at)).toBe(emu.clock.now() + 900_000);
    const creds = temporary(res);

    const projects = await cloudCall(emu, { method: 'GET', path: '/v3/projects', credentials: creds });
    expect(projects.json.projects.map((p: { id: string }) => p.id)).toEqual([emu.seed!.partner.projectId]);
    const pid = emu.seed!.partner.projectId;
    const subnet = await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${pid}/subnets/${emu.seed!.partnerSubnetId}`,
      credentials: creds,
    });
    expect(subnet.status).toBe(200);
    const quotas = await cloudCall(emu, { method: 'GET', path: `/v1/${pid}/quotas`, credentials: creds });
    expect(quotas.status).toBe(200);

    // Not in the agency's policies: creating an endpoint service.
    const denied = await cloudCall(emu, {
      method: 'POST',
      path: `/v1/${pid}/vpc-endpoint-services`,
      credentials: creds,
      body: {},
    });
    expect(denied.status).toBe(403);
    expect(denied.json.error_msg).toContain('vpcep:epservices:create');

    emu.clock.advance(900_000);
    const expired = await cloudCall(emu, { method: 'GET', path: `/v1/${pid}/quotas`, credentials: creds });
    expect(expired.status).toBe(401);
  });

  it('refuses an agency that does not exist, and one that does not trust the caller', async () => {
    const missing = await assume(owner(), 'no-such-agency');
    expect(missing.status).toBe(404);
    // The partner itself is not the delegated party of its own agency.
    const untrusted = await assume(partner());
    expect(untrusted.status).toBe(403);
    expect(untrusted.json.error_msg).toContain('not delegated');
  });

  it('agency credentials cannot assume further agencies without iam:agencies:assume', async () => {
    const creds = temporary(await assume());
    const chained = await assume(creds);
    expect(chained.status).toBe(403);
    expect(chained.json.error_msg).toContain('iam:agencies:assume');
  });

  it('an agency missing a permission refuses that call only', async () => {
    const agency = emu.world.agencies!.find((a) => a.name === emu.seed!.partnerAgencyName)!;
    const saved = agency.actions;
    agency.actions = CLIENT_AGENCY_ACTIONS.filter((a) => a !== 'vpcep:endpoints:create');
    try {
      const creds = temporary(await assume());
      const pid = emu.seed!.partner.projectId;
      const create = await cloudCall(emu, {
        method: 'POST',
        path: `/v1/${pid}/vpc-endpoints`,
        credentials: creds,
        body: { endpoint_service_id: 'x', vpc_id: emu.seed!.partnerVpcId },
      });
      expect(create.status).toBe(403);
      expect(create.json.error_msg).toContain('vpcep:endpoints:create');
      const list = await cloudCall(emu, {
        method: 'GET',
        path: `/v1/${pid}/vpc-endpoints`,
        credentials: creds,
      });
      expect(list.status).toBe(200);
    } finally {
      agency.actions = saved;
    }
  });
});
