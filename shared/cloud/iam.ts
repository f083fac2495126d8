/**
 * IAM: project id discovery (`GET /v3/projects?name={region}`), as the official SDKs do when only
 * AK/SK and a region are configured (huawei-cloud-api.md §D.2), and temporary credentials of another
 * account's agency (IAM v3 CreateTemporaryAccessKeyByAgency, `POST /v3.0/OS-CREDENTIAL/securitytokens`
 * with `methods: ["assume_role"]` [GSDK iam/v3 iam_meta.go, model_agency_auth_identity.go,
 * model_identity_assumerole.go, model_credential.go]; the caller needs `iam:agencies:assume`).
 */
import * as z from '../zod.js';
import type { CloudHttp, IamClient } from './types.js';
import { parseBody } from './validate.js';

/** No project of that name is visible to the credentials (wrong region or missing permission). */
export class ProjectNotFoundError extends Error {
  override readonly name = 'ProjectNotFoundError';
  readonly regionName: string;

  constructor(regionName: string, options?: { cause?: unknown }) {
    super(`no IAM project named ${JSON.stringify(regionName)} is visible to these credentials`, options);
    this.regionName = regionName;
  }
}

export const IamListProjectsResponseSchema = z.looseObject({
  projects: z.nullish(
    z.array(
      z.looseObject({
        id: z.string().check(z.minLength(1)),
        name: z.string(),
        // The project's account [GSDK iam/v3 model_project_result.go].
        domain_id: z.optional(z.string()),
      }),
    ),
  ),
});

export const IamSecurityTokenResponseSchema = z.looseObject({
  credential: z.looseObject({
    access: z.string().check(z.minLength(1)),
    secret: z.string().check(z.minLength(1)),
    securitytoken: z.string().check(z.minLength(1)),
    expires_at: z.string().check(z.refine((v) => !Number.isNaN(Date.parse(v)), 'not a timestamp')),
  }),
});

/** Huawei's bounds for `duration_seconds` (15 min – 24 h) [GSDK model_identity_assumerole.go]. */
export const AGENCY_DURATION_SECONDS = { min: 900, max: 86_400 } as const;

// Region ids (ap-southeast-1, eu-west-101) and sub-projects (ap-southeast-1_team) only.
const REGION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createIamClient(http: CloudHttp): IamClient {
  async function getProject(regionName: string): Promise<{ id: string; domainId?: string }> {
    if (!REGION_NAME.test(regionName)) {
      throw new ProjectNotFoundError(regionName, { cause: new TypeError('not a region name') });
    }
    const response = await http.send({ method: 'GET', path: '/v3/projects', query: { name: regionName } });
    const { projects } = parseBody(IamListProjectsResponseSchema, response, 'iam', 'list projects');
    // The name filter is exact on IAM, but a proxy or emulator may ignore it: match here too.
    const project = (projects ?? []).find((candidate) => candidate.name === regionName);
    if (!project) throw new ProjectNotFoundError(regionName);
    return { id: project.id, domainId: project.domain_id };
  }

  return {
    async getProjectId(regionName) {
      return (await getProject(regionName)).id;
    },

    getProject,

    async assumeAgency({ domainId, agencyName, durationSeconds = AGENCY_DURATION_SECONDS.min }) {
      const seconds = Math.min(
        AGENCY_DURATION_SECONDS.max,
        Math.max(AGENCY_DURATION_SECONDS.min, Math.floor(durationSeconds)),
      );
      const response = await http.send({
        method: 'POST',
        path: '/v3.0/OS-CREDENTIAL/securitytokens',
        body: {
          auth: {
            identity: {
              methods: ['assume_role'],
              assume_role: { domain_id: domainId, agency_name: agencyName, duration_seconds: seconds },
            },
          },
        },
      });
      const { credential } = parseBody(IamSecurityTokenResponseSchema, response, 'iam', 'assume agency');
      return {
        ak: credential.access,
        sk: credential.secret,
        securityToken: credential.securitytoken,
        expiresAt: Date.parse(credential.expires_at),
      };
    },
  };
}
