/**
 * The documented API examples (vendored in test/fixtures/reference-examples) against our schemas and builders:
 * every response/example body must be accepted, every request body must match what our builders
 * produce for the same input. A new fixture fails the completeness check until it is classified here.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod/mini';
import {
  buildTagActionBody as buildDmsTagActionBody,
  buildModifyCrossVpcBody,
  DmsListInstancesResponseSchema,
  DmsModifyCrossVpcResponseSchema,
  DmsShowInstanceResponseSchema,
  DmsTagActionResponseSchema,
  toKafkaInstance,
} from '../../../shared/cloud/dms.js';
import { CloudApiError } from '../../../shared/cloud/errors.js';
import { IamListProjectsResponseSchema } from '../../../shared/cloud/iam.js';
import { buildPublishBody, SmnPublishResponseSchema } from '../../../shared/cloud/smn.js';
import type { CloudService } from '../../../shared/cloud/types.js';
import { TagListSchema } from '../../../shared/cloud/validate.js';
import {
  buildCreateSecurityGroupRuleBody,
  VpcCreateSecurityGroupRuleResponseSchema,
  VpcEmptyResponseSchema,
  VpcListSecurityGroupRulesResponseSchema,
} from '../../../shared/cloud/vpc.js';
import {
  buildCreateEndpointBody,
  buildCreateServiceBody,
  buildPermissionActionBody,
  buildResourceInstancesBody,
  buildTagActionBody as buildVpcepTagActionBody,
  toEndpoint,
  toEndpointService,
  VpcepEmptyResponseSchema,
  VpcepEndpointSchema,
  VpcepListConnectionsResponseSchema,
  VpcepListEndpointsResponseSchema,
  VpcepListPermissionsResponseSchema,
  VpcepListServicesResponseSchema,
  VpcepPermissionActionResponseSchema,
  VpcepQuotaResponseSchema,
  VpcepResourceInstancesResponseSchema,
  VpcepServiceSchema,
} from '../../../shared/cloud/vpcep.js';
import * as zm from '../../../shared/zod.js';
import {
  cloudHttpFor,
  EXAMPLES_DIR,
  type FakeApiServer,
  readFixture,
  startFakeApiServer,
} from '../../helpers/fake-api-server.js';

interface ResponseCase {
  api: string;
  schema: z.ZodMiniType;
  /** Optional model mapping run on the parsed body (must not throw). */
  map?: (parsed: never) => unknown;
}

const RESPONSES: Record<string, ResponseCase> = {
  'dms-batch-instance-tags.response.json': {
    api: 'POST /v2/{project_id}/kafka/{instance_id}/tags/action',
    schema: DmsTagActionResponseSchema,
  },
  'dms-list-instances.response.json': {
    api: 'GET /v2/{project_id}/instances',
    schema: DmsListInstancesResponseSchema,
    map: (parsed: z.output<typeof DmsListInstancesResponseSchema>) =>
      (parsed.instances ?? []).map(toKafkaInstance),
  },
  'dms-modify-crossvpc.response.json': {
    api: 'POST /v2/{project_id}/instances/{instance_id}/crossvpc/modify',
    schema: DmsModifyCrossVpcResponseSchema,
  },
  // The product no longer reads instance tags (it lists instances with theirs); the example stays as
  // the shape the emulator's ShowKafkaTags must answer (test/local/cloud/dms.test.ts).
  'dms-show-instance-tags.response.json': {
    api: 'GET /v2/{project_id}/kafka/{instance_id}/tags',
    schema: zm.looseObject({ tags: TagListSchema }),
  },
  'dms-show-instance.response.json': {
    api: 'GET /v2/{project_id}/instances/{instance_id}',
    schema: DmsShowInstanceResponseSchema,
    map: toKafkaInstance,
  },
  'smn-publish.response.json': {
    api: 'POST /v2/{project_id}/notifications/topics/{topic_urn}/publish',
    schema: SmnPublishResponseSchema,
  },
  // The v1 API is not called (v3 is), but the shared rule schema is meant to read both shapes.
  'vpc-v1-create-sg-rule.response.json': {
    api: 'POST /v1/{project_id}/security-group-rules',
    schema: VpcCreateSecurityGroupRuleResponseSchema,
  },
  'vpc-v1-delete-sg-rule.response.json': {
    api: 'DELETE /v1/{project_id}/security-group-rules/{security_group_rule_id}',
    schema: VpcEmptyResponseSchema,
  },
  'vpc-v3-create-sg-rule.response.json': {
    api: 'POST /v3/{project_id}/vpc/security-group-rules',
    schema: VpcCreateSecurityGroupRuleResponseSchema,
  },
  'vpc-v3-delete-sg-rule.response.json': {
    api: 'DELETE /v3/{project_id}/vpc/security-group-rules/{security_group_rule_id}',
    schema: VpcEmptyResponseSchema,
  },
  'vpc-v3-list-sg-rules.response.json': {
    api: 'GET /v3/{project_id}/vpc/security-group-rules',
    schema: VpcListSecurityGroupRulesResponseSchema,
  },
  'vpcep-batch-tags.response.json': {
    api: 'POST /v1/{project_id}/{resource_type}/{resource_id}/tags/action',
    schema: VpcepEmptyResponseSchema,
  },
  'vpcep-create-endpoint-gateway.response.json': {
    api: 'POST /v1/{project_id}/vpc-endpoints',
    schema: VpcepEndpointSchema,
    map: toEndpoint,
  },
  'vpcep-create-endpoint.response.json': {
    api: 'POST /v1/{project_id}/vpc-endpoints',
    schema: VpcepEndpointSchema,
    map: toEndpoint,
  },
  'vpcep-create-service.response.json': {
    api: 'POST /v1/{project_id}/vpc-endpoint-services',
    schema: VpcepServiceSchema,
    map: toEndpointService,
  },
  'vpcep-delete-endpoint.response.json': {
    api: 'DELETE /v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}',
    schema: VpcepEmptyResponseSchema,
  },
  'vpcep-delete-service.response.json': {
    api: 'DELETE /v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}',
    schema: VpcepEmptyResponseSchema,
  },
  'vpcep-list-connections.response.json': {
    api: 'GET /v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/connections',
    schema: VpcepListConnectionsResponseSchema,
  },
  'vpcep-list-endpoints.response.json': {
    api: 'GET /v1/{project_id}/vpc-endpoints',
    schema: VpcepListEndpointsResponseSchema,
    map: (parsed: z.output<typeof VpcepListEndpointsResponseSchema>) =>
      (parsed.endpoints ?? []).map(toEndpoint),
  },
  'vpcep-list-services.response.json': {
    api: 'GET /v1/{project_id}/vpc-endpoint-services',
    schema: VpcepListServicesResponseSchema,
    map: (parsed: z.output<typeof VpcepListServicesResponseSchema>) =>
      (parsed.endpoint_services ?? []).map(toEndpointService),
  },
  'vpcep-list-whitelist.response.json': {
    api: 'GET /v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/permissions',
    schema: VpcepListPermissionsResponseSchema,
  },
  'vpcep-query-resources-by-tag-count.response.json': {
    api: 'POST /v1/{project_id}/{resource_type}/resource_instances/action',
    schema: VpcepResourceInstancesResponseSchema,
  },
  'vpcep-query-resources-by-tag-filter.response.json': {
    api: 'POST /v1/{project_id}/{resource_type}/resource_instances/action',
    schema: VpcepResourceInstancesResponseSchema,
  },
  'vpcep-show-endpoint.response.json': {
    api: 'GET /v1/{project_id}/vpc-endpoints/{vpc_endpoint_id}',
    schema: VpcepEndpointSchema,
    map: toEndpoint,
  },
  'vpcep-show-quota.response.json': { api: 'GET /v1/{project_id}/quotas', schema: VpcepQuotaResponseSchema },
  'vpcep-show-service.response.json': {
    api: 'GET /v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}',
    schema: VpcepServiceSchema,
    map: toEndpointService,
  },
  'vpcep-whitelist-action.response.json': {
    api: 'POST /v1/{project_id}/vpc-endpoint-services/{vpc_endpoint_service_id}/permissions/action',
    schema: VpcepPermissionActionResponseSchema,
  },
};

/** Error envelopes: served by a real server and read back through the real client. */
const ERRORS: Record<string, { service: CloudService; code: string; message: string }> = {
  'dms-error.example.json': { service: 'dms', code: 'AS.0001', message: 'The format of message is error' },
  'smn-error.example.json': { service: 'smn', code: 'SMN.0006', message: 'Topic not found.' },
  'vpc-error.example.json': { service: 'vpc', code: 'VPC.0002', message: 'Available zone Name is null.' },
  'vpcep-error.example.json': { service: 'vpcep', code: 'EndPoint.0002', message: 'Parameter error.' },
};

interface RequestCase {
  build: () => unknown;
  /** False where only whitespace inside an embedded JSON string differs from the document. */
  exact?: boolean;
}

const REQUESTS: Record<string, RequestCase> = {
  'dms-batch-instance-tags.request.json': {
    build: () =>
      buildDmsTagActionBody('create', [
        { key: 'key1', value: 'value1' },
        { key: 'key2', value: 'value2' },
      ]),
  },
  'dms-modify-crossvpc.request.json': {
    build: () =>
      buildModifyCrossVpcBody({
        '192.168.245.246': '192.168.245.247',
        '192.168.197.36': '192.168.197.38',
        '192.168.190.11': '192.168.190.11',
      }),
  },
  'smn-publish.request.json': {
    build: () =>
      buildPublishBody({ subject: 'test message v2', message: 'Message test message v2', timeToLive: 3600 }),
  },
  'smn-publish-message-structure.request.json': {
    build: () =>
      buildPublishBody({
        subject: 'test message v2',
        timeToLive: 3600,
        messageStructure: { default: 'test v2 default', email: 'abc' },
      }),
    exact: false,
  },
  'smn-publish-template.request.json': {
    build: () =>
      buildPublishBody({
        subject: 'test message template v2',
        messageTemplateName: 'confirm_message',
        timeToLive: 3600,
        tags: { topic_urn: 'topic_urn3331', topic_id: 'topic_id3332' },
      }),
  },
  'vpc-v3-create-sg-rule.request.json': {
    build: () =>
      buildCreateSecurityGroupRuleBody({
        securityGroupId: '1c8d9f94-6022-4518-bb98-e0145fcc7b33',
        direction: 'ingress',
        protocol: 'tcp',
        description: 'security group rule description',
        action: 'allow',
        priority: 1,
        multiport: '33',
        remoteIpPrefix: '10.10.0.0/16',
      }),
  },
  'vpcep-batch-tags-create.request.json': {
    build: () =>
      buildVpcepTagActionBody('create', [
        { key: 'key1', value: 'value1' },
        { key: 'key', value: 'value3' },
      ]),
  },
  'vpcep-batch-tags-delete.request.json': {
    build: () => buildVpcepTagActionBody('delete', [{ key: 'key1' }, { key: 'key2', value: 'value3' }]),
  },
  'vpcep-create-endpoint.request.json': {
    build: () =>
      buildCreateEndpointBody({
        subnetId: '61881173-3899-4981-a700-170253d469b6',
        endpointServiceId: '2da0fe8f-5cb7-4d93-bb35-dc05334da1be',
        vpcId: 'd7b2bf07-1b4c-43fa-bd88-d80c6ebea140',
        tags: [{ key: 'test2', value: 'test2' }],
      }),
  },
  'vpcep-create-service.request.json': {
    build: () =>
      buildCreateServiceBody({
        portId: '4189d3c2-8882-4871-a3c2-d380272eed88',
        vpcId: '4189d3c2-8882-4871-a3c2-d380272eed80',
        approvalEnabled: false,
        serviceType: 'interface',
        serverType: 'VM',
        ports: [
          { clientPort: 8080, serverPort: 90, protocol: 'TCP' },
          { clientPort: 8081, serverPort: 80, protocol: 'TCP' },
        ],
      }),
  },
  'vpcep-query-resources-by-tag-count.request.json': {
    build: () =>
      buildResourceInstancesBody('count', {
        notTags: [{ key: 'key1', values: ['value1', '*value2'] }],
        tags: [
          { key: 'key1', values: ['value1', 'value2'] },
          { key: 'key2', values: ['value1', 'value2'] },
        ],
        tagsAny: [{ key: 'key1', values: ['value1', 'value2'] }],
        notTagsAny: [{ key: 'key1', values: ['value1', 'value2'] }],
        matches: [{ key: 'resource_name', value: 'resource1' }],
      }),
  },
  'vpcep-query-resources-by-tag-filter.request.json': {
    build: () =>
      buildResourceInstancesBody(
        'filter',
        {
          matches: [{ key: 'resource_name', value: 'resource1' }],
          notTags: [{ key: 'key1', values: ['*value1', 'value2'] }],
          tags: [{ key: 'key1', values: ['*value1', 'value2'] }],
          tagsAny: [{ key: 'key1', values: ['value1', 'value2'] }],
          notTagsAny: [{ key: 'key1', values: ['value1', 'value2'] }],
        },
        { offset: 100, limit: 100 },
      ),
  },
  'vpcep-whitelist-add.request.json': {
    build: () => buildPermissionActionBody('add', ['iam:domain::fc973eea581490997e82ea11a1d0101']),
  },
  'vpcep-whitelist-remove.request.json': {
    build: () => buildPermissionActionBody('remove', ['iam:domain::5fc973eea581490997e82ea11a1d0101']),
  },
};

/** Documented requests the product deliberately never sends (so there is no builder to compare). */
const REQUESTS_NOT_SENT: Record<string, string> = {
  'vpc-v1-create-sg-rule.request.json':
    'the v1 rule API is not used; v3 is (reference §C.2: v1 duplicate code unverified)',
  'vpcep-create-endpoint-gateway.request.json':
    'gateway endpoints (routetables, no subnet) are never created; Kafka needs interface endpoints',
};

/** Keys and JSON types, recursively: what "the same shape" means for a request body. */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, shapeOf(item)]),
    );
  }
  return typeof value;
}

const allFixtures = readdirSync(EXAMPLES_DIR).filter((file) => file.endsWith('.json'));

describe('documented API examples', () => {
  it('are all classified (response, error example, built request or deliberately not sent)', () => {
    const classified = new Set([
      ...Object.keys(RESPONSES),
      ...Object.keys(ERRORS),
      ...Object.keys(REQUESTS),
      ...Object.keys(REQUESTS_NOT_SENT),
    ]);

    expect(allFixtures.filter((file) => !classified.has(file))).toEqual([]);
    expect([...classified].filter((file) => !allFixtures.includes(file))).toEqual([]);
    expect(allFixtures.filter((f) => f.endsWith('.response.json')).sort()).toEqual(
      Object.keys(RESPONSES).sort(),
    );
    expect(allFixtures.filter((f) => f.endsWith('.example.json')).sort()).toEqual(Object.keys(ERRORS).sort());
  });

  describe.each(Object.entries(RESPONSES))('%s', (file, testCase) => {
    it('is accepted by the response schema of its API', () => {
      const fixture = readFixture(file);
      expect(fixture.api).toBe(testCase.api);
      // The body as the client would receive it: JSON.parse of the raw text (keeps the last of a
      // duplicate key) or undefined for "no body".
      const received = fixture.body === null ? undefined : JSON.parse(fixture.rawBody);

      const result = testCase.schema.safeParse(received);

      expect(result.error?.issues ?? []).toEqual([]);
      if (testCase.map) expect(() => testCase.map?.(result.data as never)).not.toThrow();
    });
  });

  it('the documented null body is accepted as well as no body', () => {
    expect(VpcepEmptyResponseSchema.safeParse(null).success).toBe(true);
    expect(DmsTagActionResponseSchema.safeParse(undefined).success).toBe(true);
  });

  it('map the documented DMS instance to the listeners of its cross_vpc_info', () => {
    const fixture = readFixture('dms-show-instance.response.json');

    const instance = toKafkaInstance(DmsShowInstanceResponseSchema.parse(fixture.body));

    expect(instance.listeners.map((l) => [l.listenerIp, l.port])).toEqual([
      ['192.168.0.61', 9011],
      ['192.168.0.72', 9011],
      ['192.168.0.100', 9011],
    ]);
  });

  it('accepts an IAM project list (no documented example: shape from the IAM API reference)', () => {
    expect(
      IamListProjectsResponseSchema.safeParse({
        projects: [
          { id: '06b2b2d2d0001e1a2f8ec00b30a2a3a2', name: 'ap-southeast-1', enabled: true, links: {} },
        ],
        links: { self: 'https://iam.example/v3/projects' },
      }).success,
    ).toBe(true);
  });

  describe('error examples through the real client', () => {
    let server: FakeApiServer;
    beforeAll(async () => {
      server = await startFakeApiServer();
    });
    afterAll(async () => {
      await server.stop();
    });

    it.each(Object.entries(ERRORS))(
      '%s becomes a CloudApiError with its code and message',
      async (file, expected) => {
        const fixture = readFixture(file);
        server.on('GET', `/fixture/${file}`, { status: fixture.status ?? 400, rawBody: fixture.rawBody });
        const http = cloudHttpFor(server, expected.service);

        const error = await http.send({ method: 'GET', path: `/fixture/${file}` }).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(CloudApiError);
        expect(error).toMatchObject({ code: expected.code, serverMessage: expected.message });
      },
    );
  });

  describe.each(Object.entries(REQUESTS))('%s', (file, testCase) => {
    it('has the shape our request builder produces for the same input', () => {
      const fixture = readFixture(file);

      const built = JSON.parse(JSON.stringify(testCase.build()));

      expect(shapeOf(built)).toEqual(shapeOf(fixture.body));
      if (testCase.exact === false) {
        expect(JSON.parse((built as { message_structure: string }).message_structure)).toEqual(
          JSON.parse((fixture.body as { message_structure: string }).message_structure),
        );
      } else {
        expect(built).toEqual(fixture.body);
      }
    });
  });
});
