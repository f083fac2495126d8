/**
 * bench/cold-start/kvl-read-instance.ts built on the official `@huaweicloud/huaweicloud-sdk-kafka`
 * client instead of the project's DMS client: same handler stack, same call, same parsing of
 * `cross_vpc_info`.
 */
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { KafkaClient, ShowInstanceRequest } from '@huaweicloud/huaweicloud-sdk-kafka';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { endpointOf, noPublisher } from './common.js';

export const handler = kvlHandler(
  {
    name: 'read-instance',
    accepts: ['kvl.link.requested'],
    async handle(event, deps: { kafka: () => Promise<KafkaClient> }, tools) {
      const client = await deps.kafka();
      const response = await client.showInstance(new ShowInstanceRequest(event.data.instanceId));
      // The SDK hands back the wire JSON (snake_case); cross_vpc_info is a JSON string in it.
      const wire = response as unknown as { status?: string; cross_vpc_info?: string };
      const listeners = Object.keys(JSON.parse(wire.cross_vpc_info ?? '{}') as Record<string, unknown>);
      tools.logger.info('instance read', { status: wire.status, listeners: listeners.length });
      return [];
    },
  },
  {
    createDeps: ({ config, credentials }) => ({
      kafka: async () => {
        const c = await credentials();
        const basic = new BasicCredentials().withAk(c.ak).withSk(c.sk).withProjectId(config.projectId);
        if (c.securityToken) basic.withSecurityToken(c.securityToken);
        return KafkaClient.newBuilder().withCredential(basic).withEndpoint(endpointOf(config, 'dms')).build();
      },
    }),
    publisher: noPublisher,
  },
);
