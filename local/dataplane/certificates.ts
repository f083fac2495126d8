/**
 * A certificate authority the emulator generates for SASL_SSL listeners, and the server
 * certificate it issues to the brokers. node:crypto signs but cannot build X.509, so the few DER
 * structures needed (RFC 5280: TBSCertificate, Name, Validity, extensions) are encoded here;
 * keys are ECDSA P-256, signatures ecdsa-with-SHA256. Node's X509Certificate parses and verifies
 * the result in the tests.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Buffer[]) => tlv(0xa0 + n, ...parts);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  return tlv(0x02, (v[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
/** UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
}
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function ipBytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new CertificateError(`ipAddresses: ${JSON.stringify(ip)} is not an IPv4 address`);
  return Buffer.from(parts);
}

function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

interface Issued {
  certificatePem: string;
  privateKeyPem: string;
}

function issue(opts: {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  authorityKeyId: Buffer;
  ca: boolean;
  ipAddresses?: readonly string[];
  dnsNames?: readonly string[];
  now: Date;
}): string {
  const extensions = [
    extension('2.5.29.19', true, opts.ca ? seq(bool(true)) : seq()),
    // keyUsage: CA keyCertSign|cRLSign|digitalSignature (0x86, 1 unused bit); leaf digitalSignature (0x80, 7).
    extension('2.5.29.15', true, opts.ca ? bits(Buffer.from([0x86]), 1) : bits(Buffer.from([0x80]), 7)),
    extension('2.5.29.14', false, octets(keyId(opts.publicKey))),
    extension('2.5.29.35', false, seq(tlv(0x80, opts.authorityKeyId))),
  ];
  if (!opts.ca) {
    extensions.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    const alt = [
      ...(opts.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
      ...(opts.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
    ];
    if (alt.length > 0) extensions.push(extension('2.5.29.17', false, seq(...alt)));
  }
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(opts.issuer),
    seq(
      time(new Date(opts.now.getTime() - 3_600_000)),
      time(new Date(opts.now.getTime() + 10 * 365 * 86_400_000)),
    ),
    name(opts.subject),
    opts.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, opts.signingKey);
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

export interface CertificateAuthority extends Issued {
  /** Issues a server certificate (serverAuth) for these names, signed by this CA. */
  issueServerCertificate(names: {
    commonName: string;
    ipAddresses?: readonly string[];
    dnsNames?: readonly string[];
  }): Issued;
}

export function createCertificateAuthority(
  commonName = 'kafka-vpcep-link emulator CA',
  now = new Date(),
): CertificateAuthority {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caKeyId = keyId(publicKey);
  const certificatePem = issue({
    subject: commonName,
    issuer: commonName,
    publicKey,
    signingKey: privateKey,
    authorityKeyId: caKeyId,
    ca: true,
    now,
  });
  return {
    certificatePem,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    issueServerCertificate(names) {
      const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return {
        certificatePem: issue({
          subject: names.commonName,
          issuer: commonName,
          publicKey: leaf.publicKey,
          signingKey: privateKey,
          authorityKeyId: caKeyId,
          ca: false,
          ...(names.ipAddresses ? { ipAddresses: names.ipAddresses } : {}),
          ...(names.dnsNames ? { dnsNames: names.dnsNames } : {}),
          now,
        }),
        privateKeyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      };
    },
  };
}
