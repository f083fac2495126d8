import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../shared/cloud/credentials.js';
import { NotFoundError } from '../../../shared/cloud/errors.js';
import { createIamClient, ProjectNotFoundError } from '../../../shared/cloud/iam.js';
import { createCloudClients } from '../../../shared/cloud/index.js';
import { createSmnClient, InvalidTopicUrnError, type SmnPublisher } from '../../../shared/cloud/smn.js';
import type { IamClient } from '../../../shared/cloud/types.js';
import {
  cloudHttpFor,
  expectSigned,
  type FakeApiServer,
  PROJECT_ID,
  readFixture,
  startFakeApiServer,
  TEST_AK,
  TEST_SK,
} from '../../helpers/fake-api-server.js';

const TOPIC = `urn:smn:ap-southeast-1:${PROJECT_ID}:kvl-link-requests`;
const PUBLISH_PATH = `/v2/${PROJECT_ID}/notifications/topics/${TOPIC}/publish`;

describe('SMN and IAM clients', () => {
  let server: FakeApiServer;

  beforeAll(async () => {
    server = await startFakeApiServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.reset();
  });

  describe('SMN publish', () => {
    let smn: SmnPublisher;
    beforeEach(() => {
      smn = createSmnClient(cloudHttpFor(server, 'smn'));
    });

    it('publishes subject and message to the topic URN path and returns the message id', async () => {
      server.on('POST', PUBLISH_PATH, { body: readFixture('smn-publish.response.json').body });

      const result = await smn.publish(TOPIC, {
        subject: 'kvl.link.requested',
        message: '{"specversion":"1.0"}',
      });

      const [request] = server.requests;
      expect(request?.path).toBe(PUBLISH_PATH);
      expectSigned(request);
      expect(request?.body.toString()).toBe(
        '{"subject":"kvl.link.requested","message":"{\\"specversion\\":\\"1.0\\"}"}',
      );
      expect(result).toEqual({ messageId: 'bf94b63a5dfb475994d3ac34664e24f2' });
    });

    it('sends a message structure as a JSON string', async () => {
      server.on('POST', PUBLISH_PATH, { body: { message_id: 'm-1', request_id: 'r-1' } });

      await smn.publish(TOPIC, { messageStructure: { default: 'd', functionstage: 'f' }, timeToLive: 3600 });

      expect(server.requests[0]?.json()).toEqual({
        message_structure: '{"default":"d","functionstage":"f"}',
        time_to_live: '3600',
      });
    });

    it.each([
      '',
      'not-a-urn',
      `urn:smn:ap-southeast-1:${PROJECT_ID}:a/../../x`,
      `${TOPIC}?x=1`,
      `${TOPIC}#f`,
    ])('refuses the topic URN %j before sending', async (urn) => {
      await expect(smn.publish(urn, { message: 'x' })).rejects.toBeInstanceOf(InvalidTopicUrnError);
      expect(server.requests).toHaveLength(0);
    });

    it('maps the documented SMN error envelope', async () => {
      server.on('POST', PUBLISH_PATH, { status: 404, body: readFixture('smn-error.example.json').body });

      const error = await smn.publish(TOPIC, { message: 'x' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: 'SMN.0006', serverMessage: 'Topic not found.' });
    });
  });

  describe('IAM project id', () => {
    let iam: IamClient;
    beforeEach(() => {
      iam = createIamClient(cloudHttpFor(server, 'iam'));
    });

    it('looks the project up by region name', async () => {
      server.on('GET', '/v3/projects', {
        body: {
          projects: [
            { id: 'aaaa0000aaaa0000aaaa0000aaaa0000', name: 'ap-southeast-1_sub' },
            { id: 'bbbb1111bbbb1111bbbb1111bbbb1111', name: 'ap-southeast-1', domain_id: 'd', enabled: true },
          ],
          links: { self: 'x' },
        },
      });

      const projectId = await iam.getProjectId('ap-southeast-1');

      expect(projectId).toBe('bbbb1111bbbb1111bbbb1111bbbb1111');
      expect(server.requests[0]?.rawQuery).toBe('name=ap-southeast-1');
      expectSigned(server.requests[0]);
    });

    it('throws ProjectNotFoundError when no project has that name', async () => {
      server.on('GET', '/v3/projects', { body: { projects: [] } });

      const error = await iam.getProjectId('eu-west-101').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ProjectNotFoundError);
      expect((error as Error).message).toContain('eu-west-101');
    });

    it('refuses a region name that would change the query', async () => {
      await expect(iam.getProjectId('x&name=y')).rejects.toBeInstanceOf(ProjectNotFoundError);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('createCloudClients', () => {
    it('wires every service to its own base URL from the env overrides', async () => {
      const other = await startFakeApiServer();
      try {
        server.on('GET', `/v2/${PROJECT_ID}/instances/inst-1`, {
          body: { instance_id: 'inst-1', status: 'RUNNING' },
        });
        server.on('GET', `/v1/${PROJECT_ID}/quotas`, { body: { quotas: { resources: [] } } });
        server.on('GET', `/v1/${PROJECT_ID}/subnets/s-1`, {
          body: { subnet: { id: 's-1', vpc_id: 'v', cidr: '10.0.0.0/24' } },
        });
        server.on('POST', PUBLISH_PATH, { body: { message_id: 'm-1' } });
        other.on('GET', '/v3/projects', { body: { projects: [{ id: 'p-1', name: 'ap-southeast-1' }] } });
        const clients = createCloudClients({
          region: 'ap-southeast-1',
          projectId: PROJECT_ID,
          credentials: staticCredentials({ ak: TEST_AK, sk: TEST_SK }),
          env: { HUAWEICLOUD_ENDPOINT: server.url, HUAWEICLOUD_ENDPOINT_IAM: other.url },
          retry: { retries: 0 },
        });

        await clients.dms.showInstance('inst-1');
        await clients.vpcep.getQuotas();
        await clients.vpc.getSubnet('s-1');
        await clients.smn.publish(TOPIC, { message: 'hello' });
        const projectId = await clients.iam.getProjectId('ap-southeast-1');

        expect(projectId).toBe('p-1');
        expect(server.requests.map((r) => r.path)).toEqual([
          `/v2/${PROJECT_ID}/instances/inst-1`,
          `/v1/${PROJECT_ID}/quotas`,
          `/v1/${PROJECT_ID}/subnets/s-1`,
          PUBLISH_PATH,
        ]);
        expect(other.requests).toHaveLength(1);
        for (const request of [...server.requests, ...other.requests]) expectSigned(request);
      } finally {
        await other.stop();
      }
    });
  });
});
