/**
 * The verify client's settings: the security protocol and SASL mechanisms come from the instance (DMS
 * reports them), the credentials from the environment (`KVL_KAFKA_USERNAME`, `KVL_KAFKA_PASSWORD`,
 * `KVL_KAFKA_CA_FILE` or, in a function's user data, `KVL_KAFKA_CA_PEM`), never from an event or a flag, so they stay out of logs and shell history.
 * Errors name the variable, never its value.
 */
import { readFileSync } from 'node:fs';
import type { KafkaInstance } from '../cloud/types.js';
import type { KafkajsProbeOptions, ProbeSaslMechanism, ProbeSecurityProtocol } from './kafkajs-probe.js';

export class KafkaSettingsError extends Error {
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
    this.name = 'KafkaSettingsError';
  }
}

const PROTOCOLS: readonly ProbeSecurityProtocol[] = ['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: readonly ProbeSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-512'];

export function probeOptionsFor(
  instance: Pick<KafkaInstance, 'instanceId' | 'securityProtocol' | 'saslMechanisms'>,
  env: Record<string, string | undefined>,
): KafkajsProbeOptions {
  const protocol = instance.securityProtocol as ProbeSecurityProtocol;
  if (!PROTOCOLS.includes(protocol))
    throw new KafkaSettingsError(
      'securityProtocol',
      `instance ${instance.instanceId} uses ${instance.securityProtocol}; verify speaks ${PROTOCOLS.join(', ')}`,
    );
  if (protocol === 'PLAINTEXT') return { securityProtocol: protocol };

  const username = env.KVL_KAFKA_USERNAME;
  const password = env.KVL_KAFKA_PASSWORD;
  if (!username)
    throw new KafkaSettingsError('KVL_KAFKA_USERNAME', `required: the instance uses ${protocol}`);
  if (!password)
    throw new KafkaSettingsError('KVL_KAFKA_PASSWORD', `required: the instance uses ${protocol}`);
  const enabled = instance.saslMechanisms.filter((m): m is ProbeSaslMechanism =>
    MECHANISMS.includes(m as ProbeSaslMechanism),
  );
  const wanted = env.KVL_KAFKA_SASL_MECHANISM;
  if (wanted !== undefined && wanted !== '' && !enabled.includes(wanted as ProbeSaslMechanism))
    throw new KafkaSettingsError(
      'KVL_KAFKA_SASL_MECHANISM',
      `must be one the instance enables: ${enabled.join(', ') || 'none this client speaks'}`,
    );
  const mechanism = (wanted || (enabled.includes('PLAIN') ? 'PLAIN' : enabled[0])) as
    | ProbeSaslMechanism
    | undefined;
  if (!mechanism)
    throw new KafkaSettingsError(
      'saslMechanisms',
      `instance ${instance.instanceId} enables ${instance.saslMechanisms.join(', ') || 'no mechanism'}; verify speaks ${MECHANISMS.join(', ')}`,
    );

  // A function has no file of its own to point at: its user data may carry the PEM itself.
  let caPem = protocol === 'SASL_SSL' ? env.KVL_KAFKA_CA_PEM || undefined : undefined;
  if (caPem !== undefined && !caPem.includes('BEGIN CERTIFICATE'))
    throw new KafkaSettingsError('KVL_KAFKA_CA_PEM', 'holds no PEM certificate');
  const caFile = env.KVL_KAFKA_CA_FILE;
  if (protocol === 'SASL_SSL' && caFile && caPem === undefined) {
    try {
      caPem = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new KafkaSettingsError('KVL_KAFKA_CA_FILE', `cannot read ${caFile}`, { cause: error });
    }
    if (!caPem.includes('BEGIN CERTIFICATE'))
      throw new KafkaSettingsError('KVL_KAFKA_CA_FILE', `${caFile} holds no PEM certificate`);
  }
  return {
    securityProtocol: protocol,
    saslMechanism: mechanism,
    username,
    password,
    ...(caPem ? { caPem } : {}),
  };
}
