import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint, EndpointService, KafkaListener } from '../../../shared/cloud/types.js';
import { ListenerMapError } from '../../../shared/link/errors.js';
import {
  advertisesExactly,
  buildAdvertisedMap,
  pairBrokers,
  restoreMap,
} from '../../../shared/link/mapping.js';

const CLIENT_VPC = 'vpc-client';

function world(brokers: number) {
  const listeners: KafkaListener[] = Array.from({ length: brokers }, (_, i) => ({
    listenerIp: `10.0.0.${11 + i}`,
    advertisedIp: `10.0.0.${11 + i}`,
    port: 9011,
    portId: `port-${i}`,
  }));
  const services: EndpointService[] = listeners.map((l, i) => ({
    id: `svc-${i}`,
    serviceName: `svc-${i}`,
    portId: l.portId,
    vpcId: 'vpc-kafka',
    status: 'available',
    serverType: 'VM',
    serviceType: 'interface',
    approvalEnabled: false,
    ports: [{ clientPort: 9011, serverPort: 9011, protocol: 'TCP' }],
    tags: [],
  }));
  const endpoints: Endpoint[] = services.map((s, i) => ({
    id: `ep-${i}`,
    status: 'accepted',
    ip: `172.16.5.${100 + i}`,
    endpointServiceId: s.id,
    vpcId: CLIENT_VPC,
    tags: [],
  }));
  return { listeners, services, endpoints };
}

describe('listener map', () => {
  it('maps every listener to the endpoint of the service on its own port, whatever the order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.infiniteStream(fc.nat()),
        fc.infiniteStream(fc.nat()),
        (brokers, shuffleA, shuffleB) => {
          // Arrange: the cloud lists services and endpoints in any order.
          const { listeners, services, endpoints } = world(brokers);
          const shuffle = <T>(items: T[], stream: typeof shuffleA) => {
            const copy = [...items];
            const it = stream[Symbol.iterator]();
            for (let i = copy.length - 1; i > 0; i--) {
              const j = (it.next().value as number) % (i + 1);
              [copy[i], copy[j]] = [copy[j]!, copy[i]!];
            }
            return copy;
          };
          // Act
          const { links, problems } = pairBrokers(
            listeners,
            shuffle(services, shuffleA),
            shuffle(endpoints, shuffleB),
            CLIENT_VPC,
          );
          const map = buildAdvertisedMap(listeners, shuffle(links, shuffleA));
          // Assert: complete, and each IP is the one of the endpoint whose service uses that port.
          expect(problems).toEqual([]);
          expect(Object.keys(map).sort()).toEqual(listeners.map((l) => l.listenerIp).sort());
          for (const listener of listeners) {
            const service = services.find((s) => s.portId === listener.portId)!;
            const endpoint = endpoints.find((e) => e.endpointServiceId === service.id)!;
            expect(map[listener.listenerIp]).toBe(endpoint.ip);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a partial map', () => {
    const { listeners, services, endpoints } = world(3);
    const { links } = pairBrokers(listeners, services, endpoints.slice(0, 2), CLIENT_VPC);

    expect(() => buildAdvertisedMap(listeners, links)).toThrow(ListenerMapError);
  });

  it('reports an endpoint that is not accepted yet and one in another VPC as problems', () => {
    const { listeners, services, endpoints } = world(2);
    const pending = [
      { ...endpoints[0]!, status: 'pendingAcceptance', ip: undefined },
      { ...endpoints[1]!, vpcId: 'other' },
    ];

    const { links, problems } = pairBrokers(listeners, services, pending, CLIENT_VPC);

    expect(links).toEqual([]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/pendingAcceptance/);
    expect(problems[1]).toMatch(/no endpoint/);
  });

  it('refuses a map that pairs a listener through another broker port', () => {
    const { listeners, services, endpoints } = world(2);
    const { links } = pairBrokers(listeners, services, endpoints, CLIENT_VPC);
    const swapped = [
      { ...links[0]!, portId: links[1]!.portId },
      { ...links[1]!, portId: links[0]!.portId },
    ];

    expect(() => buildAdvertisedMap(listeners, swapped)).toThrow(/paired with port/);
  });

  it('refuses two listeners on the same endpoint IP', () => {
    const { listeners, services, endpoints } = world(2);
    const sameIp = endpoints.map((e) => ({ ...e, ip: '172.16.5.100' }));
    const { links } = pairBrokers(listeners, services, sameIp, CLIENT_VPC);

    expect(() => buildAdvertisedMap(listeners, links)).toThrow(/used twice/);
  });

  it('restores recorded originals and identity elsewhere', () => {
    const { listeners } = world(2);

    const map = restoreMap(listeners, new Map([['10.0.0.11', '192.168.1.1']]));

    expect(map).toEqual({ '10.0.0.11': '192.168.1.1', '10.0.0.12': '10.0.0.12' });
    expect(advertisesExactly(listeners, map)).toBe(false);
    expect(advertisesExactly(listeners, { '10.0.0.11': '10.0.0.11', '10.0.0.12': '10.0.0.12' })).toBe(true);
  });
});
