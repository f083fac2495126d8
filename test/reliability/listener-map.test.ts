/**
 * ARCHITECTURE §1 step 5 and §6 "never a partial or mismatched listener map": for 1–9 brokers, endpoints
 * created and listed in random orders (some bought ahead by someone else, listings shuffled, the
 * instance's cross_vpc_info in any order) and a neighbouring link on the same emulator, every map the
 * emulator's DMS actually received in `crossvpc/modify` holds every listener of the instance, each
 * mapped to the IP of the endpoint whose service uses that listener's port_id.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../shared/runtime/link-deps.js', () => import('../helpers/link-deps.mock.js'));

import type { EmuRequest } from '../../local/cloud/types.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudClients } from '../../shared/cloud/index.js';
import { Chain, type Delivery } from '../helpers/reliability/chain.js';
import { linkProblems } from '../helpers/reliability/invariants.js';
import { recordSize, seedOr, size, timeout } from '../helpers/reliability/report.js';
import { prng } from '../helpers/reliability/schedule.js';

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

interface Scenario {
  seed: number;
  brokers: number;
  /** Brokers of a second instance linked alongside (0: none). */
  neighbour: number;
  /** Fraction of the endpoints bought ahead, in a random order, before buy-endpoints runs. */
  aheadShare: number;
  shuffleListings: boolean;
  shuffleBrokers: boolean;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Problems of one received modify body against the world (services by port_id, their endpoints). */
function mapProblems(current: Chain, instanceId: string, body: unknown): string[] {
  const instance = current.instance(instanceId);
  const received =
    (body as { advertised_ip_contents?: Record<string, string> })?.advertised_ip_contents ?? {};
  const problems: string[] = [];
  const listeners = instance.brokers.map((b) => b.listenerIp).sort();
  const keys = Object.keys(received).sort();
  if (JSON.stringify(keys) !== JSON.stringify(listeners)) {
    problems.push(`keys ${keys.join(',')} are not the listeners ${listeners.join(',')}`);
  }
  for (const broker of instance.brokers) {
    const services = current.emulator.world.endpointServices.filter(
      (s) => s.portId === broker.portId && s.status !== 'deleting',
    );
    const ips = current.emulator.world.endpoints
      .filter((e) => services.some((s) => s.id === e.endpointServiceId) && e.status === 'accepted')
      .map((e) => e.ip);
    const sent = received[broker.listenerIp];
    if (sent === undefined || !ips.includes(sent)) {
      problems.push(
        `${broker.listenerIp} (port ${broker.portId}) -> ${sent}, its endpoint(s): ${ips.join(',')}`,
      );
    }
  }
  const values = Object.values(received);
  if (new Set(values).size !== values.length)
    problems.push(`an endpoint IP is used twice: ${values.join(',')}`);
  return problems;
}

describe('listener map: what DMS received', () => {
  it(
    'always holds every listener, each mapped to the endpoint of the service on its own port_id',
    async () => {
      // Arrange
      const runs = size(32, 400);
      const seed = seedOr(9_011);
      let maps = 0;
      let brokersSeen = 0;
      const scenario: fc.Arbitrary<Scenario> = fc.record({
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        brokers: fc.integer({ min: 1, max: 9 }),
        neighbour: fc.integer({ min: 0, max: 3 }),
        aheadShare: fc.constantFrom(0, 0.5, 1),
        shuffleListings: fc.boolean(),
        shuffleBrokers: fc.boolean(),
      });

      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const received: Array<{ instanceId: string; body: unknown }> = [];
          const spy = (request: EmuRequest) => {
            const m = /\/instances\/([^/]+)\/crossvpc\/modify$/.exec(request.path);
            if (request.method === 'POST' && m) received.push({ instanceId: m[1]!, body: request.body });
          };
          chain = await Chain.start({
            brokers: s.neighbour > 0 ? [s.brokers, s.neighbour] : [s.brokers],
            idSeed: s.seed,
            onRequest: spy,
          });
          const current = chain;
          const random = prng(s.seed);
          const world = current.emulator.world;
          if (s.shuffleBrokers) for (const i of world.kafkaInstances) shuffle(i.brokers, random);

          // Act: the services first, then (maybe) endpoints bought ahead in a random order.
          for (const link of current.links) await current.publishRequest(link);
          for (const request of current.takeNew()) await current.deliver(request);
          const pool: Delivery[] = current.takeNew();
          if (s.aheadShare > 0) {
            const config = current.config;
            const { vpcep } = createCloudClients({
              region: config.region,
              projectId: config.projectId,
              credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
              env: { HUAWEICLOUD_ENDPOINT: config.endpoint },
            });
            const services = shuffle([...world.endpointServices], random);
            for (const service of services.slice(0, Math.ceil(services.length * s.aheadShare))) {
              await vpcep.createEndpoint({
                endpointServiceId: service.id,
                vpcId: config.world.clientVpcId,
                subnetId: config.world.clientSubnetId,
              });
            }
          }
          while (pool.length > 0) {
            const [next] = pool.splice(Math.floor(random() * pool.length), 1);
            if (s.shuffleListings) {
              shuffle(world.endpoints, random);
              shuffle(world.endpointServices, random);
            }
            const result = await current.deliver(next!);
            if (!result.ok) pool.push(next!);
            pool.push(...current.takeNew());
          }
          current.advance(60_000);

          // Assert
          const problems: string[] = [];
          for (const link of current.links) {
            const mine = received.filter((r) => r.instanceId === link.instanceId);
            if (mine.length === 0) problems.push(`${link.instanceId}: no map sent`);
            for (const r of mine) problems.push(...mapProblems(current, link.instanceId, r.body));
            problems.push(...linkProblems(current.emulator, link));
            brokersSeen += current.instance(link.instanceId).brokers.length;
          }
          maps += received.length;
          await current.close();
          chain = undefined;
          if (problems.length > 0) throw new Error(`${JSON.stringify(s)}\n  ${problems.join('\n  ')}`);
        }),
        { numRuns: runs, seed, endOnFailure: true },
      );

      recordSize(import.meta.filename, { runs, mapsChecked: maps, brokers: brokersSeen, seed });
      expect(maps).toBeGreaterThanOrEqual(runs);
    },
    timeout(60_000, 60 * 60_000),
  );
});
