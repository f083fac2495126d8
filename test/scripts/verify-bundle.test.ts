/**
 * The verify bundle as deployed: scripts/build.mjs leaves kafkajs' consumer and admin client out of it
 * (stubs that throw), so this runs the built bundle, not the source, against the emulator's data plane
 * and checks that the probe still connects, produces and reads back on every broker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM build script without type declarations
import { buildFunctions } from '../../scripts/build.mjs';
import { driveLink } from '../../shared/link/drive.js';
import { createLocalContext } from '../../shared/runtime/context.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const outDir = mkdtempSync(join(tmpdir(), 'kvl-verify-bundle-'));
let cloud: TestCloud;
let handler: Handler;

beforeAll(async () => {
  await buildFunctions({ quiet: true, outDir });
  handler = (createRequire(import.meta.url)(join(outDir, 'verify', 'index.js')) as { handler: Handler })
    .handler;
  cloud = await startTestCloud({ dataPlane: true });
  expect((await driveLink(cloud.deps, cloud.request, cloud.budget())).outcome).toBe('completed');
  cloud.settle();
}, 120_000);

afterAll(async () => {
  await cloud?.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe('verify bundle', () => {
  it('verifies every broker of a linked instance with the bundled kafkajs', async () => {
    // Arrange
    const c = cloud.config;
    const userData: Record<string, string> = {
      HUAWEICLOUD_REGION: c.region,
      HUAWEICLOUD_SDK_PROJECT_ID: c.projectId,
      HUAWEICLOUD_ENDPOINT: c.endpoint,
      HUAWEICLOUD_SDK_AK: c.ak,
      HUAWEICLOUD_SDK_SK: c.sk,
      KVL_TOPIC_LINK_REQUESTS: c.topics.linkRequests,
      KVL_TOPIC_SERVICES_READY: c.topics.servicesReady,
      KVL_TOPIC_ENDPOINTS_ACCEPTED: c.topics.endpointsAccepted,
      KVL_TOPIC_UNLINK_REQUESTS: c.topics.unlinkRequests,
      KVL_TOPIC_EVENTS: c.topics.events,
      KVL_LOG_LEVEL: 'error',
      KVL_VERIFY_CLIENT_VPC: c.world.clientVpcId,
      KVL_KAFKA_USERNAME: c.kafka!.username!,
      KVL_KAFKA_PASSWORD: c.kafka!.password!,
      KVL_KAFKA_CA_FILE: c.kafka!.caFile!,
    };
    const context = createLocalContext({ functionName: 'verify', timeoutMs: 60_000, userData });
    const timer = {
      trigger_type: 'TIMER',
      trigger_name: 'kvl-verify',
      user_event: '',
      time: new Date().toISOString(),
    };

    // Act
    await handler(timer, context);

    // Assert
    const published = cloud.emulator.world.messages
      .filter((m) => m.topicUrn === c.topics.events)
      .map((m) => JSON.parse(m.message) as { type: string; source: string; data: Record<string, unknown> })
      .filter((e) => e.source === 'kvl/verify');
    expect(published.map((e) => e.type)).toEqual(['kvl.link.verified']);
    expect(published[0]?.data).toMatchObject({ instanceId: cloud.request.instanceId, healthy: true });
    expect(published[0]?.data.brokers).toHaveLength(3);
  }, 120_000);
});
