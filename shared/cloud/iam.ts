/**
 * IAM: project id discovery (`GET /v3/projects?name={region}`), as the official SDKs do when only
 * AK/SK and a region are configured (huawei-cloud-api.md §D.2).
 */
import * as z from 'zod';
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

export const IamListProjectsResponseSchema = z
  .object({
    projects: z
      .array(
        z
          .object({
            id: z.string().min(1),
            name: z.string(),
          })
          .loose(),
      )
      .nullish(),
  })
  .loose();

// Region ids (ap-southeast-1, eu-west-101) and sub-projects (ap-southeast-1_team) only.
const REGION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createIamClient(http: CloudHttp): IamClient {
  return {
    async getProjectId(regionName) {
      if (!REGION_NAME.test(regionName)) {
        throw new ProjectNotFoundError(regionName, { cause: new TypeError('not a region name') });
      }
      const response = await http.send({ method: 'GET', path: '/v3/projects', query: { name: regionName } });
      const { projects } = parseBody(IamListProjectsResponseSchema, response, 'iam', 'list projects');
      // The name filter is exact on IAM, but a proxy or emulator may ignore it: match here too.
      const project = (projects ?? []).find((candidate) => candidate.name === regionName);
      if (!project) throw new ProjectNotFoundError(regionName);
      return project.id;
    },
  };
}
