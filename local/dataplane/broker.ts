/**
 * One emulated Kafka broker: its own TCP listener, the partitions it leads, and enough of the
 * Kafka protocol for unmodified clients (kafkajs, librdkafka) to read metadata, produce and fetch
 * one partition without a consumer group, over PLAINTEXT or SASL_PLAINTEXT (PLAIN, SCRAM-SHA-512).
 *
 * As in the cloud, a broker answers for the partitions it leads only: a request for a partition
 * led by another broker gets NOT_LEADER_OR_FOLLOWER, so a client whose connection to broker A's
 * advertised address lands on broker B breaks exactly as it would against DMS. Metadata lists every
 * broker at the address the `advertised` callback gives at that moment (cross_vpc_info).
 *
 * Body layouts follow the Apache Kafka message definitions
 * (clients/src/main/resources/common/message/{Produce,Fetch,ListOffsets,Metadata,ApiVersions,
 * SaslHandshake,SaslAuthenticate}{Request,Response}.json).
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  ApiKey,
  ErrorCode,
  encodeResponse,
  FrameDecoder,
  frame,
  KafkaProtocolError,
  Reader,
  type RequestHeader,
  readRequestHeader,
  Writer,
} from './kafka-protocol.js';
import { listenLoopback } from './loopback.js';
import {
  assignOffsets,
  firstOffsetAtOrAfter,
  parseProducedBatch,
  RecordBatchError,
  type StoredBatch,
} from './record-batch.js';
import {
  SaslAuthenticationError,
  type SaslCredentials,
  type SaslExchange,
  type SaslMechanism,
  startExchange,
} from './sasl.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export interface HostPort {
  host: string;
  port: number;
}

/** [min, max] version served per API key; ApiVersions advertises exactly these. */
export const SERVED_VERSIONS: ReadonlyMap<number, readonly [number, number]> = new Map([
  [ApiKey.Produce, [3, 8]],
  [ApiKey.Fetch, [4, 11]],
  [ApiKey.ListOffsets, [1, 5]],
  [ApiKey.Metadata, [0, 8]],
  [ApiKey.SaslHandshake, [0, 1]],
  [ApiKey.ApiVersions, [0, 3]],
  [ApiKey.SaslAuthenticate, [0, 1]],
]);

/** Leader epoch of every partition: leadership never moves in this emulator. */
const LEADER_EPOCH = 0;
/** "Not requested" value of the authorized-operations fields (Metadata v8). */
const AUTHORIZED_OPS_OMITTED = -2_147_483_648;

/** The log of one partition: batches with assigned offsets, high watermark, waiting fetches. */
export class PartitionLog {
  readonly batches: StoredBatch[] = [];
  highWatermark = 0n;
  readonly logStartOffset = 0n;
  private readonly waiters = new Set<() => void>();

  append(records: Buffer): bigint {
    const { bytes } = parseProducedBatch(records);
    const batch = assignOffsets(bytes, this.highWatermark, LEADER_EPOCH);
    this.batches.push(batch);
    this.highWatermark = batch.lastOffset + 1n;
    for (const wake of [...this.waiters]) wake();
    return batch.baseOffset;
  }

  /** Batches from the one holding `offset`, within `maxBytes` but always at least one (KIP-74). */
  read(offset: bigint, maxBytes: number): Buffer[] {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    const out: Buffer[] = [];
    let size = 0;
    for (let i = lo; i < this.batches.length; i++) {
      const b = this.batches[i]!.bytes;
      if (out.length > 0 && size + b.length > maxBytes) break;
      out.push(b);
      size += b.length;
    }
    return out;
  }

  /** Calls `wake` on the next append; returns the cancel function. */
  onAppend(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}

export interface TopicState {
  /** Leader broker id of each partition, by partition index. */
  leaders: number[];
  logs: PartitionLog[];
}

/** What all brokers of a cluster share. */
export interface ClusterModel {
  clusterId: string;
  brokerIds: readonly number[];
  advertised: (brokerId: number) => HostPort;
  topics: Map<string, TopicState>;
  securityProtocol: SecurityProtocol;
  /** Enabled mechanisms and credentials; present iff securityProtocol is SASL_PLAINTEXT or SASL_SSL. */
  sasl?: { mechanisms: readonly SaslMechanism[]; credentials: SaslCredentials };
  /** Server key and certificate (PEM); present iff securityProtocol is SASL_SSL. */
  tls?: { key: string; cert: string };
}

export class KafkaBroker {
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private bound: HostPort | undefined;

  constructor(
    readonly id: number,
    readonly cluster: ClusterModel,
  ) {}

  /** The broker's own listener address (not what clients are told: that is `advertised`). */
  get address(): HostPort {
    if (this.bound === undefined) throw new Error(`broker ${this.id} is not listening`);
    return this.bound;
  }

  async listen(host: string, port = 0): Promise<HostPort> {
    const serve = (socket: net.Socket) => {
      const conn = new Connection(socket, this);
      this.connections.add(conn);
      socket.once('close', () => this.connections.delete(conn));
    };
    const { tls: keys } = this.cluster;
    const server = keys
      ? tls.createServer({ key: keys.key, cert: keys.cert, minVersion: 'TLSv1.2' }, serve)
      : net.createServer(serve);
    const bound = await listenLoopback(server, host, port);
    this.server = server;
    this.bound = { host, port: bound };
    return this.bound;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.connections) c.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

type AuthState =
  | { kind: 'authenticated' }
  | { kind: 'handshake' }
  | { kind: 'authenticate'; exchange: SaslExchange; raw: boolean };

/** One client connection: requests are handled one at a time, in order, as a broker does. */
class Connection {
  private readonly decoder = new FrameDecoder();
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  private auth: AuthState;
  private readonly cancels = new Set<() => void>();

  constructor(
    private readonly socket: net.Socket,
    private readonly broker: KafkaBroker,
  ) {
    this.auth =
      broker.cluster.securityProtocol === 'PLAINTEXT' ? { kind: 'authenticated' } : { kind: 'handshake' };
    socket.setNoDelay(true);
    socket.on('data', (data) => {
      try {
        this.queue.push(...this.decoder.push(data));
      } catch {
        this.destroy();
        return;
      }
      void this.drain();
    });
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cancel of this.cancels) cancel();
    this.socket.destroy();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const payload = this.queue.shift()!;
        const out = await this.handle(payload);
        if (this.closed) return;
        if (out.response) this.socket.write(out.response);
        if (out.close) {
          this.socket.end();
          this.closed = true;
        }
      }
    } catch {
      // Undecodable request or unserved API/version: a broker drops the connection.
      this.destroy();
    } finally {
      this.busy = false;
    }
  }

  private async handle(payload: Buffer): Promise<{ response?: Buffer; close?: boolean }> {
    if (this.auth.kind === 'authenticate' && this.auth.raw) return this.rawSaslToken(payload);
    const r = new Reader(payload);
    const header = readRequestHeader(r);
    const served = SERVED_VERSIONS.get(header.apiKey);
    if (header.apiKey === ApiKey.ApiVersions) return { response: this.apiVersions(header, r) };
    if (served === undefined || header.apiVersion < served[0] || header.apiVersion > served[1])
      throw new KafkaProtocolError(`unserved API ${header.apiKey} v${header.apiVersion}`);
    if (header.apiKey === ApiKey.SaslHandshake) return this.saslHandshake(header, r);
    if (header.apiKey === ApiKey.SaslAuthenticate) return this.saslAuthenticate(header, r);
    // Before authentication completes, only the SASL and ApiVersions requests are allowed.
    if (this.auth.kind !== 'authenticated')
      throw new KafkaProtocolError('request before SASL authentication');
    switch (header.apiKey) {
      case ApiKey.Metadata:
        return { response: encodeResponse(header, this.metadata(header.apiVersion, r)) };
      case ApiKey.Produce: {
        const { body, acks } = this.produce(header.apiVersion, r);
        return acks === 0 ? {} : { response: encodeResponse(header, body) };
      }
      case ApiKey.Fetch:
        return { response: encodeResponse(header, await this.fetch(header.apiVersion, r)) };
      case ApiKey.ListOffsets:
        return { response: encodeResponse(header, this.listOffsets(header.apiVersion, r)) };
      default:
        throw new KafkaProtocolError(`unserved API ${header.apiKey}`);
    }
  }

  // ApiVersions v0-v3. A version above 3 gets UNSUPPORTED_VERSION with the v0 body, so that the
  // client can read it and retry with a version we serve (KIP-511).
  private apiVersions(header: RequestHeader, r: Reader): Buffer {
    const [min, max] = SERVED_VERSIONS.get(ApiKey.ApiVersions)!;
    const supported = header.apiVersion >= min && header.apiVersion <= max;
    const v = supported ? header.apiVersion : 0;
    if (supported && v >= 3) {
      r.compactString(); // client_software_name
      r.compactString(); // client_software_version
      r.skipTaggedFields();
    }
    const w = new Writer().int16(supported ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_VERSION);
    const keys = [...SERVED_VERSIONS.entries()];
    const entry = (x: Writer, [key, [lo, hi]]: (typeof keys)[number]) => {
      x.int16(key).int16(lo).int16(hi);
      if (v >= 3) x.emptyTaggedFields();
    };
    if (v >= 3) w.compactArray(keys, entry);
    else w.array(keys, entry);
    if (v >= 1) w.int32(0); // throttle_time_ms
    if (v >= 3) w.emptyTaggedFields();
    return encodeResponse({ ...header, apiVersion: v }, w.toBuffer());
  }

  private saslHandshake(header: RequestHeader, r: Reader): { response: Buffer; close?: boolean } {
    const mechanism = r.string();
    const sasl = this.broker.cluster.sasl;
    const enabled = sasl?.mechanisms ?? [];
    const w = new Writer();
    let error: number = ErrorCode.NONE;
    if (sasl === undefined || this.auth.kind !== 'handshake') error = ErrorCode.ILLEGAL_SASL_STATE;
    else if (!(enabled as readonly string[]).includes(mechanism))
      error = ErrorCode.UNSUPPORTED_SASL_MECHANISM;
    else
      this.auth = {
        kind: 'authenticate',
        exchange: startExchange(mechanism as SaslMechanism, sasl.credentials),
        // v0: the SASL tokens that follow travel as bare size-prefixed frames, not SaslAuthenticate.
        raw: header.apiVersion === 0,
      };
    w.int16(error).array(enabled, (x, m) => x.string(m));
    return { response: encodeResponse(header, w.toBuffer()), close: error !== ErrorCode.NONE };
  }

  private saslAuthenticate(header: RequestHeader, r: Reader): { response: Buffer; close?: boolean } {
    const token = r.bytes();
    const w = new Writer();
    const respond = (error: number, message: string | null, bytes: Buffer) => {
      w.int16(error).nullableString(message).nullableBytes(bytes);
      if (header.apiVersion >= 1) w.int64(0n); // session_lifetime_ms: no re-authentication required
      return { response: encodeResponse(header, w.toBuffer()), close: error !== ErrorCode.NONE };
    };
    if (this.auth.kind !== 'authenticate' || this.auth.raw)
      return respond(ErrorCode.ILLEGAL_SASL_STATE, 'Unexpected SaslAuthenticate request', Buffer.alloc(0));
    try {
      const { response, done } = this.auth.exchange.step(token);
      if (done) this.auth = { kind: 'authenticated' };
      return respond(ErrorCode.NONE, null, response);
    } catch (err) {
      if (!(err instanceof SaslAuthenticationError)) throw err;
      return respond(ErrorCode.SASL_AUTHENTICATION_FAILED, err.message, Buffer.alloc(0));
    }
  }

  /** SaslHandshake v0: raw tokens; a failure closes the connection without a reply. */
  private rawSaslToken(payload: Buffer): { response?: Buffer; close?: boolean } {
    if (this.auth.kind !== 'authenticate') throw new KafkaProtocolError('no SASL exchange under way');
    try {
      const { response, done } = this.auth.exchange.step(payload);
      if (done) this.auth = { kind: 'authenticated' };
      return { response: frame(response) };
    } catch (err) {
      if (!(err instanceof SaslAuthenticationError)) throw err;
      return { close: true };
    }
  }

  private partitionError(topic: string, partition: number): { error: number; log?: PartitionLog } {
    const t = this.broker.cluster.topics.get(topic);
    const leader = t?.leaders[partition];
    if (t === undefined || leader === undefined) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (leader !== this.broker.id) return { error: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    return { error: ErrorCode.NONE, log: t.logs[partition]! };
  }

  // Metadata v0-v8.
  private metadata(v: number, r: Reader): Buffer {
    const requested = r.nullableArray((x) => x.string());
    if (v >= 4) r.bool(); // allow_auto_topic_creation: topics are never auto-created here
    if (v >= 8) {
      r.bool(); // include_cluster_authorized_operations
      r.bool(); // include_topic_authorized_operations
    }
    const { cluster } = this.broker;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = requested === null || (v === 0 && requested.length === 0);
    const names = all ? [...cluster.topics.keys()] : requested;
    const w = new Writer();
    if (v >= 3) w.int32(0); // throttle_time_ms
    w.array(cluster.brokerIds, (x, id) => {
      const { host, port } = cluster.advertised(id);
      x.int32(id).string(host).int32(port);
      if (v >= 1) x.nullableString(null); // rack
    });
    if (v >= 2) w.nullableString(cluster.clusterId);
    if (v >= 1) w.int32(cluster.brokerIds[0]!); // controller_id
    w.array(names, (x, name) => {
      const t = cluster.topics.get(name);
      x.int16(t ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).string(name);
      if (v >= 1) x.bool(false); // is_internal
      const partitions = (t?.leaders ?? []).map((leader, index) => ({ leader, index }));
      x.array(partitions, (p, { leader, index }) => {
        p.int16(ErrorCode.NONE).int32(index).int32(leader);
        if (v >= 7) p.int32(LEADER_EPOCH);
        p.array([leader], (q, id) => q.int32(id)); // replica_nodes: the log lives on its leader only
        p.array([leader], (q, id) => q.int32(id)); // isr_nodes
        if (v >= 5) p.array([], (q, id: number) => q.int32(id)); // offline_replicas
      });
      if (v >= 8) x.int32(AUTHORIZED_OPS_OMITTED);
    });
    if (v >= 8) w.int32(AUTHORIZED_OPS_OMITTED);
    return w.toBuffer();
  }

  // Produce v3-v8: one record batch (magic 2) per partition, stored as is with offsets assigned.
  private produce(v: number, r: Reader): { body: Buffer; acks: number } {
    r.nullableString(); // transactional_id: transactions are not served
    const acks = r.int16();
    r.int32(); // timeout_ms: replication is immediate here
    const topics = r.array((x) => ({
      name: x.string(),
      partitions: x.array((y) => ({ index: y.int32(), records: y.nullableBytes() })),
    }));
    const w = new Writer();
    w.array(topics, (x, topic) => {
      x.string(topic.name);
      x.array(topic.partitions, (p, { index, records }) => {
        let error: number = ErrorCode.NONE;
        let message: string | null = null;
        let baseOffset = -1n;
        const target = this.partitionError(topic.name, index);
        if (acks !== -1 && acks !== 0 && acks !== 1) error = ErrorCode.INVALID_REQUIRED_ACKS;
        else if (target.log === undefined) error = target.error;
        else if (records === null || records.length === 0) error = ErrorCode.CORRUPT_MESSAGE;
        else
          try {
            baseOffset = target.log.append(records);
          } catch (err) {
            if (!(err instanceof RecordBatchError)) throw err;
            error = err.errorCode;
            message = err.message;
          }
        p.int32(index).int16(error).int64(baseOffset);
        p.int64(-1n); // log_append_time_ms: CreateTime topics
        if (v >= 5) p.int64(target.log?.logStartOffset ?? -1n);
        if (v >= 8) {
          p.array([], (q, e: number) => q.int32(e)); // record_errors
          p.nullableString(message);
        }
      });
    });
    w.int32(0); // throttle_time_ms
    return { body: w.toBuffer(), acks };
  }

  // Fetch v4-v11, without incremental fetch sessions (session_id 0 answered to every request).
  private async fetch(v: number, r: Reader): Promise<Buffer> {
    r.int32(); // replica_id
    const maxWaitMs = r.int32();
    const minBytes = r.int32();
    const maxBytes = r.int32();
    r.int8(); // isolation_level: no transactions, so committed == uncommitted
    if (v >= 7) {
      r.int32(); // session_id
      r.int32(); // session_epoch
    }
    const topics = r.array((x) => ({
      name: x.string(),
      partitions: x.array((y) => {
        const index = y.int32();
        if (v >= 9) y.int32(); // current_leader_epoch
        const fetchOffset = y.int64();
        if (v >= 5) y.int64(); // log_start_offset (follower only)
        return { index, fetchOffset, maxBytes: y.int32() };
      }),
    }));
    if (v >= 7) r.array((x) => [x.string(), x.array((y) => y.int32())]); // forgotten_topics_data
    if (v >= 11) r.string(); // rack_id

    const build = () => {
      let total = 0;
      let errors = false;
      const result = topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const { error, log } = this.partitionError(t.name, p.index);
          if (log === undefined) {
            errors = true;
            return { index: p.index, error, log, records: [] as Buffer[] };
          }
          if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.highWatermark) {
            errors = true;
            return { index: p.index, error: ErrorCode.OFFSET_OUT_OF_RANGE, log, records: [] as Buffer[] };
          }
          const budget = Math.min(p.maxBytes, Math.max(0, maxBytes - total));
          const records = total > 0 && budget === 0 ? [] : log.read(p.fetchOffset, budget);
          for (const b of records) total += b.length;
          return { index: p.index, error: ErrorCode.NONE, log, records };
        }),
      }));
      return { result, total, errors };
    };

    let built = build();
    // Long poll: hold the answer until min_bytes are there or max_wait_ms has passed.
    const deadline = Date.now() + maxWaitMs;
    while (!built.errors && built.total < minBytes && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.waitForAppend(
        topics.flatMap((t) => t.partitions.map((p) => this.partitionError(t.name, p.index).log!)),
        left,
      );
      built = build();
    }

    const w = new Writer().int32(0); // throttle_time_ms
    if (v >= 7) w.int16(ErrorCode.NONE).int32(0); // error_code, session_id
    w.array(built.result, (x, t) => {
      x.string(t.name);
      x.array(t.partitions, (p, part) => {
        const hw = part.log?.highWatermark ?? -1n;
        p.int32(part.index).int16(part.error).int64(hw);
        p.int64(hw); // last_stable_offset
        if (v >= 5) p.int64(part.log?.logStartOffset ?? -1n);
        p.array([], (q, n: number) => q.int32(n)); // aborted_transactions
        if (v >= 11) p.int32(-1); // preferred_read_replica
        p.nullableBytes(Buffer.concat(part.records));
      });
    });
    return w.toBuffer();
  }

  private waitForAppend(logs: PartitionLog[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancels: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const c of cancels) c();
        this.cancels.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const log of logs) cancels.push(log.onAppend(done));
      this.cancels.add(done);
    });
  }

  // ListOffsets v1-v5: -1 latest (high watermark), -2 earliest, otherwise the first offset whose
  // record timestamp is >= the one asked (-1/-1 when there is none).
  private listOffsets(v: number, r: Reader): Buffer {
    r.int32(); // replica_id
    if (v >= 2) r.int8(); // isolation_level
    const topics = r.array((x) => ({
      name: x.string(),
      partitions: x.array((y) => {
        const index = y.int32();
        if (v >= 4) y.int32(); // current_leader_epoch
        return { index, timestamp: y.int64() };
      }),
    }));
    const w = new Writer();
    if (v >= 2) w.int32(0); // throttle_time_ms
    w.array(topics, (x, t) => {
      x.string(t.name);
      x.array(t.partitions, (p, { index, timestamp }) => {
        const { error, log } = this.partitionError(t.name, index);
        let found = { offset: -1n, timestamp: -1n };
        if (log !== undefined) {
          if (timestamp === -1n) found = { offset: log.highWatermark, timestamp: -1n };
          else if (timestamp === -2n) found = { offset: log.logStartOffset, timestamp: -1n };
          else
            for (const batch of log.batches) {
              const hit = firstOffsetAtOrAfter(batch, timestamp);
              if (hit) {
                found = hit;
                break;
              }
            }
        }
        p.int32(index).int16(error).int64(found.timestamp).int64(found.offset);
        if (v >= 4) p.int32(log ? LEADER_EPOCH : -1);
      });
    });
    return w.toBuffer();
  }
}
