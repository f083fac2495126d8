/**
 * The emulator's `--data-plane` mode: keeps real Kafka brokers and VPC-endpoint listeners on
 * loopback (local/dataplane/) in step with the World. Each Kafka instance that runs gets a cluster
 * whose brokers listen on their listener IPs (ephemeral ports: a client must go through an
 * endpoint) and whose Metadata gives each broker at its current `cross_vpc_info` advertised IP on
 * 9011; each accepted endpoint listens on its IP:9011 and forwards to the broker behind its
 * service's `port_id`. The World stays the source of truth: `sync()` reconciles after any change,
 * so a deleted or rejected endpoint closes its listener, whatever API call or clock tick did it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createKafkaCluster,
  ENDPOINT_PORT,
  type EndpointListener,
  isLoopbackIPv4,
  type KafkaCluster,
  openEndpointListener,
  type SaslMechanism,
  type SecurityProtocol,
} from '../dataplane/index.js';
import type { KafkaInstance, World } from './types.js';

/** The topic every emulated instance has: one partition per broker, partition i led by broker i. */
export const VERIFY_TOPIC = 'kvl-verify';

/** Statuses in which the brokers of an instance do not serve (before creation ends, being deleted). */
const DOWN_STATUSES = new Set(['CREATING', 'DELETING', 'ERROR', 'FREEZING', 'FROZEN']);

export interface DataPlaneOptions {
  /**
   * Third octet of the seeded loopback subnets (instance 127.10.N.0/24, client 127.20.N.0/24,
   * partner 127.30.N.0/24). Emulators running side by side need their own, since endpoints listen on
   * fixed addresses (IP:9011): `startEmulator` claims it (claimSubnetOctet) and, when none is given,
   * takes the first one no other emulator on the machine holds (0 when it is alone).
   */
  subnetOctet?: number;
}

/** The seed networks of data-plane mode: every address of the world is in 127.0.0.0/8. */
export function dataPlaneNetworks(octet = 0) {
  if (!Number.isInteger(octet) || octet < 0 || octet > 255)
    throw new DataPlaneError(`dataPlane.subnetOctet must be an integer 0..255, got ${octet}`);
  return {
    kafka: { cidr: '127.10.0.0/16', subnet: `127.10.${octet}.0/24` },
    client: { cidr: '127.20.0.0/16', subnet: `127.20.${octet}.0/24` },
    partner: { cidr: '127.30.0.0/16', subnet: `127.30.${octet}.0/24` },
  };
}

/** What a client needs to talk to an instance's brokers (the connection JSON's `kafka`). */
export interface KafkaConnection {
  securityProtocol: SecurityProtocol;
  saslMechanism?: SaslMechanism;
  username?: string;
  password?: string;
  /** PEM of the CA that issued the brokers' certificate (SASL_SSL). */
  caFile?: string;
  topic: string;
}

export class DataPlaneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataPlaneError';
  }
}

/** The seeded subnets' third octet, held by one emulator until `release`. */
export interface SubnetOctetClaim {
  readonly octet: number;
  release(): Promise<void>;
}

/** Listens on host:port, or resolves undefined when another process already does (EADDRINUSE). */
function holdAddress(host: string, port: number): Promise<{ close(): Promise<void> } | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.unref();
      resolve({ close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}

/**
 * Claims the third octet of the data plane's subnets for one emulator by listening on the client
 * subnet's gateway, 127.20.N.1:9011: an address the world never gives an endpoint (the gateway is
 * reserved), held until `release`. Without the claim a second emulator with a data plane (the demo
 * while `emulator --data-plane` runs) failed to listen on its endpoints' IP:9011, with a warning per
 * endpoint, and its clients reached the first emulator's brokers. `requested` is claimed or refused;
 * without it the first free octet from 0 is taken.
 */
export async function claimSubnetOctet(requested?: number): Promise<SubnetOctetClaim> {
  const candidates = requested === undefined ? Array.from({ length: 256 }, (_, i) => i) : [requested];
  for (const octet of candidates) {
    dataPlaneNetworks(octet); // validates the octet
    const host = `127.20.${octet}.1`;
    let held: Awaited<ReturnType<typeof holdAddress>>;
    try {
      held = await holdAddress(host, ENDPOINT_PORT);
    } catch (cause) {
      const message = `cannot listen on ${host}:${ENDPOINT_PORT} to claim the data plane's subnets`;
      throw new DataPlaneError(message, { cause });
    }
    if (held) return { octet, release: held.close };
  }
  throw new DataPlaneError(
    requested === undefined
      ? 'every data-plane subnet (127.20.0–255.0/24) is held by another emulator on this machine'
      : `the data-plane subnets 127.10.${requested}.0/24, 127.20.${requested}.0/24 and 127.30.${requested}.0/24 are held by another emulator on this machine (it listens on 127.20.${requested}.1:${ENDPOINT_PORT}); stop it or choose another subnetOctet`,
  );
}

interface RunningCluster {
  cluster: KafkaCluster;
  /** port_id of each broker, by broker id (index in the instance's broker list). */
  portIds: string[];
}

export class DataPlane {
  private readonly clusters = new Map<string, RunningCluster>();
  private readonly listeners = new Map<string, EndpointListener>();
  private readonly credentials = new Map<string, { username: string; password: string }>();
  private readonly ca: CertificateAuthority;
  private readonly dir: string;
  readonly caFile: string;
  private dirty = false;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly world: World) {
    // One CA for every cluster, so one caFile serves every instance of the world.
    this.ca = createCertificateAuthority('kvl-emulator-kafka-ca');
    this.dir = mkdtempSync(join(tmpdir(), 'kvl-dataplane-'));
    this.caFile = join(this.dir, 'ca.pem');
    writeFileSync(this.caFile, this.ca.certificatePem, { mode: 0o600 });
  }

  /** The world changed (or may have): bring brokers and listeners in line, in the background. */
  sync(): void {
    if (this.closed) return;
    this.dirty = true;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once every change seen so far is applied. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Endpoint listeners currently open, by endpoint id (for tests and the admin snapshot). */
  openEndpoints(): Array<{ endpointId: string; host: string; port: number }> {
    return [...this.listeners].map(([endpointId, l]) => ({ endpointId, host: l.host, port: l.port }));
  }

  /** Connection settings of an instance's brokers; credentials are made once per instance. */
  connection(instance: KafkaInstance): KafkaConnection {
    const protocol = securityProtocolOf(instance);
    const connection: KafkaConnection = { securityProtocol: protocol, topic: VERIFY_TOPIC };
    if (protocol !== 'PLAINTEXT') {
      const { username, password } = this.credentialsOf(instance.instanceId);
      connection.saslMechanism = mechanismsOf(instance)[0];
      connection.username = username;
      connection.password = password;
    }
    if (protocol === 'SASL_SSL') connection.caFile = this.caFile;
    return connection;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
    await Promise.all([...this.listeners.values()].map((l) => l.close()));
    this.listeners.clear();
    await Promise.all([...this.clusters.values()].map((c) => c.cluster.close()));
    this.clusters.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private credentialsOf(instanceId: string) {
    let found = this.credentials.get(instanceId);
    if (!found) {
      found = { username: 'kvl-verify', password: randomBytes(18).toString('base64url') };
      this.credentials.set(instanceId, found);
    }
    return found;
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      try {
        await this.reconcile();
      } catch (error) {
        process.emitWarning(`emulator data plane: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private async reconcile(): Promise<void> {
    // Clusters: one per instance whose brokers serve.
    const serving = new Map(
      this.world.kafkaInstances.filter((i) => !DOWN_STATUSES.has(i.status)).map((i) => [i.instanceId, i]),
    );
    for (const [id, running] of this.clusters) {
      if (serving.has(id)) continue;
      this.clusters.delete(id);
      await running.cluster.close();
    }
    for (const instance of serving.values()) {
      if (!this.clusters.has(instance.instanceId)) await this.startCluster(instance);
    }

    // Endpoint listeners: one per accepted endpoint whose service is on a broker's port.
    const wanted = new Map<string, { ip: string; instanceId: string; brokerId: number }>();
    for (const endpoint of this.world.endpoints) {
      if (endpoint.status !== 'accepted' || !endpoint.ip) continue;
      const service = this.world.endpointServices.find((s) => s.id === endpoint.endpointServiceId);
      if (!service) continue;
      for (const [instanceId, running] of this.clusters) {
        const brokerId = running.portIds.indexOf(service.portId);
        if (brokerId >= 0) wanted.set(endpoint.id, { ip: endpoint.ip, instanceId, brokerId });
      }
    }
    for (const [endpointId, listener] of this.listeners) {
      const want = wanted.get(endpointId);
      if (want && want.ip === listener.host && this.clusters.has(want.instanceId)) continue;
      this.listeners.delete(endpointId);
      await listener.close();
    }
    for (const [endpointId, want] of wanted) {
      if (this.listeners.has(endpointId)) continue;
      if (!isLoopbackIPv4(want.ip)) {
        process.emitWarning(
          `emulator data plane: endpoint ${endpointId} has ${want.ip}, outside 127.0.0.0/8`,
        );
        continue;
      }
      const running = this.clusters.get(want.instanceId);
      if (!running) continue;
      try {
        const listener = await openEndpointListener({
          host: want.ip,
          port: ENDPOINT_PORT,
          target: () => running.cluster.listenerOf(want.brokerId),
        });
        this.listeners.set(endpointId, listener);
      } catch (error) {
        process.emitWarning(
          `emulator data plane: cannot listen on ${want.ip}:${ENDPOINT_PORT} for endpoint ${endpointId}: ${String(error)}`,
        );
      }
    }
  }

  private async startCluster(instance: KafkaInstance): Promise<void> {
    const outside = instance.brokers.find((b) => !isLoopbackIPv4(b.listenerIp));
    if (outside) {
      process.emitWarning(
        `emulator data plane: instance ${instance.instanceId} has listener ${outside.listenerIp}, outside 127.0.0.0/8; no brokers started`,
      );
      // Mark it so the warning is not repeated on every sync; it has no listeners to forward to.
      this.clusters.set(instance.instanceId, { cluster: inertCluster(), portIds: [] });
      return;
    }
    const protocol = securityProtocolOf(instance);
    const world = this.world;
    const cluster = await createKafkaCluster({
      brokers: instance.brokers.map((b, id) => ({ id, listenHost: b.listenerIp })),
      // Read at every Metadata request: a crossvpc/modify shows at once, as on DMS.
      advertised: (id) => {
        const current = world.kafkaInstances.find((i) => i.instanceId === instance.instanceId) ?? instance;
        const broker = current.brokers[id];
        return { host: broker?.advertisedIp ?? '127.0.0.1', port: ENDPOINT_PORT };
      },
      securityProtocol: protocol,
      ...(protocol === 'PLAINTEXT'
        ? {}
        : {
            sasl: {
              mechanisms: mechanismsOf(instance),
              users: [this.credentialsOf(instance.instanceId)],
            },
          }),
      certificateAuthority: this.ca,
      topics: [{ name: VERIFY_TOPIC }],
    });
    if (this.closed) {
      await cluster.close();
      return;
    }
    this.clusters.set(instance.instanceId, { cluster, portIds: instance.brokers.map((b) => b.portId) });
  }
}

function securityProtocolOf(instance: KafkaInstance): SecurityProtocol {
  const p = instance.securityProtocol;
  if (p === 'PLAINTEXT' || p === 'SASL_PLAINTEXT' || p === 'SASL_SSL') return p;
  // An instance without a protocol the data plane serves: fall back on its ssl flag.
  return instance.sslEnable ? 'SASL_SSL' : 'PLAINTEXT';
}

function mechanismsOf(instance: KafkaInstance): SaslMechanism[] {
  const known = instance.saslMechanisms.filter(
    (m): m is SaslMechanism => m === 'PLAIN' || m === 'SCRAM-SHA-512',
  );
  return known.length > 0 ? known : ['PLAIN'];
}

function inertCluster(): KafkaCluster {
  return {
    clusterId: '',
    brokerIds: [],
    caCertificatePem: undefined,
    listenerOf: () => {
      throw new DataPlaneError('instance outside 127.0.0.0/8 has no brokers');
    },
    createTopic: () => {},
    highWatermark: () => undefined,
    close: async () => {},
  };
}
