/**
 * Verify time per broker (issue 14): a link on the emulator's data plane (real brokers and endpoint
 * listeners on loopback, SASL_SSL with SCRAM or PLAIN as the seeded instance has) checked by verify with
 * the real client, `runs` times; per broker the median reach + produce + read-back time, and the
 * whole run. Loopback has no network latency: these are the client's and the protocol's own costs.
 */
import { readFileSync } from 'node:fs';
import { startEmulator } from '../local/cloud/index.js';
import { staticCredentials } from '../shared/cloud/credentials.js';
import { createCloudClients } from '../shared/cloud/index.js';
import { createKafkajsProbe } from '../shared/kafka/kafkajs-probe.js';
import { type Clock, DEFAULT_SETTINGS } from '../shared/link/deps.js';
import { driveLink } from '../shared/link/drive.js';
import { type VerifyResult, verifyLink } from '../shared/link/verify.js';
import { systemClock } from '../shared/runtime/clock.js';
import { silentLogger } from '../shared/runtime/logger.js';

export interface VerifyBenchRow {
  brokers: number;
  runs: number;
  /** Median per broker, ms. */
  perBroker: Array<{ brokerId: number; totalMs: number; produceMs: number; consumeMs: number }>;
  /** Median of the whole verify (instance read, inventory, metadata, every broker), ms. */
  wholeMs: number;
  healthy: boolean;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN);
};

export async function runVerifyBench(options: { runs: number }): Promise<VerifyBenchRow> {
  const emulator = await startEmulator({ speed: 0, dataPlane: { subnetOctet: 200 } });
  try {
    const config = emulator.config();
    const frozen: Clock = {
      now: () => emulator.clock.now(),
      sleep: async (ms) => emulator.clock.advance(ms),
    };
    const clients = createCloudClients({
      region: config.region,
      projectId: config.projectId,
      credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
      env: { HUAWEICLOUD_ENDPOINT: config.endpoint },
    });
    const deps = {
      ...clients,
      clock: frozen,
      logger: silentLogger,
      settings: { ...DEFAULT_SETTINGS, safetyMarginMs: 0 },
    };
    const linked = await driveLink(
      deps,
      {
        instanceId: config.world.instanceId,
        client: { vpcId: config.world.clientVpcId, subnetId: config.world.clientSubnetId },
      },
      { deadline: emulator.clock.now() + 600_000 },
    );
    if (linked.outcome !== 'completed') throw new Error(`link did not complete: ${linked.outcome}`);
    emulator.clock.advance(120_000);
    emulator.settle();
    const kafka = config.kafka!;
    const results: VerifyResult[] = [];
    for (let i = 0; i < options.runs; i++) {
      const probe = createKafkajsProbe({
        securityProtocol: kafka.securityProtocol,
        ...(kafka.saslMechanism ? { saslMechanism: kafka.saslMechanism } : {}),
        username: kafka.username!,
        password: kafka.password!,
        caPem: readFileSync(kafka.caFile!, 'utf8'),
      });
      results.push(
        await verifyLink(
          {
            dms: clients.dms,
            vpcep: clients.vpcep,
            clock: systemClock,
            logger: silentLogger,
            openProbe: () => probe,
          },
          { instanceId: config.world.instanceId },
        ),
      );
    }
    const ids = results[0]?.brokers.map((b) => b.brokerId) ?? [];
    return {
      brokers: ids.length,
      runs: results.length,
      perBroker: ids.map((brokerId) => {
        const of = results.map((r) => r.brokers.find((b) => b.brokerId === brokerId)!);
        return {
          brokerId,
          totalMs: median(of.map((b) => b.totalMs)),
          produceMs: median(of.map((b) => b.produceMs ?? Number.NaN)),
          consumeMs: median(of.map((b) => b.consumeMs ?? Number.NaN)),
        };
      }),
      wholeMs: median(results.map((r) => r.durationMs)),
      healthy: results.every((r) => r.healthy),
    };
  } finally {
    await emulator.close();
  }
}
