import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../../local/dataplane/index.js';
import { client, fetchPartition, startWorld, type World } from '../../helpers/dataplane.js';

describe('generated certificate authority', () => {
  it('issues a CA and a server certificate that Node parses and verifies', () => {
    // Arrange
    const ca = createCertificateAuthority('test CA');

    // Act
    const leaf = ca.issueServerCertificate({
      commonName: 'broker',
      ipAddresses: ['127.20.0.11'],
      dnsNames: ['kafka.local'],
    });

    // Assert
    const caCert = new X509Certificate(ca.certificatePem);
    const leafCert = new X509Certificate(leaf.certificatePem);
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(leafCert.ca).toBe(false);
    expect(leafCert.checkIssued(caCert)).toBe(true);
    expect(leafCert.verify(caCert.publicKey)).toBe(true);
    expect(leafCert.checkIP('127.20.0.11')).toBe('127.20.0.11');
    expect(leafCert.checkIP('127.20.0.12')).toBeUndefined();
    expect(leafCert.subjectAltName).toBe('DNS:kafka.local, IP Address:127.20.0.11');
    expect(leafCert.verify(new X509Certificate(createCertificateAuthority().certificatePem).publicKey)).toBe(
      false,
    );
  });
});

describe('data plane over SASL_SSL with the generated CA', () => {
  let world: World;
  const sasl = { mechanism: 'scram-sha-512' as const, username: 'kvl-user', password: 'tls-pass' };

  beforeAll(async () => {
    world = await startWorld({
      securityProtocol: 'SASL_SSL',
      sasl: { mechanisms: ['SCRAM-SHA-512'], users: [{ username: 'kvl-user', password: 'tls-pass' }] },
    });
  });
  afterAll(async () => {
    await world.close();
  });

  it('serves produce and fetch to a client that trusts the CA and verifies the advertised address', async () => {
    // Arrange: Node's default hostname check runs against the advertised IP
    const kafka = client(world, { ssl: { ca: [world.cluster.caCertificatePem!] }, sasl });
    const producer = kafka.producer();
    await producer.connect();
    try {
      // Act
      const sent = await producer.send({
        topic: 'kvl-verify',
        messages: [{ partition: 0, value: 'over tls' }],
      });
      const fetched = await fetchPartition(kafka, 'kvl-verify', 0, 0n);

      // Assert
      expect(sent[0]!.errorCode).toBe(0);
      expect(fetched.messages.map((m) => m.value?.toString())).toEqual(['over tls']);
    } finally {
      await producer.disconnect();
    }
  });

  it('is refused by a client that does not trust the CA, and refuses a plaintext client', async () => {
    // Arrange
    const untrusting = client(world, { ssl: true, sasl }).admin();
    const plaintext = client(world, { sasl }).admin();

    // Act
    const results = await Promise.allSettled([untrusting.connect(), plaintext.connect()]);
    await Promise.all([untrusting.disconnect(), plaintext.disconnect()]);

    // Assert
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason.message)).toMatch(/certificate/i);
  });
});
