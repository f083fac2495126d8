/**
 * Server side of SASL PLAIN (RFC 4616) and SCRAM-SHA-512 (RFC 5802 / RFC 7677 with SHA-512, as
 * Kafka implements it, KIP-84). Passwords are kept only as hashes / SCRAM keys, and no error
 * message carries a password or a proof.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-512';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-512'];

export interface SaslUser {
  username: string;
  password: string;
}

export class SaslAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslAuthenticationError';
  }
}

/** Kafka's minimum iteration count for SCRAM-SHA-512 credentials. */
const SCRAM_ITERATIONS = 4096;

interface StoredUser {
  passwordHash: Buffer;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const sha512 = (data: Buffer | string) => createHash('sha512').update(data).digest();
const hmac512 = (key: Buffer, data: string) => createHmac('sha512', key).update(data).digest();

export class SaslCredentials {
  private readonly users = new Map<string, StoredUser>();

  constructor(users: readonly SaslUser[]) {
    for (const { username, password } of users) {
      const salt = randomBytes(32);
      const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 64, 'sha512');
      this.users.set(username, {
        passwordHash: sha512(password),
        salt,
        storedKey: sha512(hmac512(salted, 'Client Key')),
        serverKey: hmac512(salted, 'Server Key'),
      });
    }
  }

  get(username: string): StoredUser | undefined {
    return this.users.get(username);
  }
}

export interface SaslExchange {
  /** Consumes the client's token; returns the server's token and whether authentication is complete. */
  step(token: Buffer): { response: Buffer; done: boolean; username?: string };
}

export function startExchange(mechanism: SaslMechanism, credentials: SaslCredentials): SaslExchange {
  return mechanism === 'PLAIN' ? plainExchange(credentials) : scramExchange(credentials);
}

function plainExchange(credentials: SaslCredentials): SaslExchange {
  return {
    step(token) {
      const parts = token.toString('utf8').split('\u0000');
      if (parts.length !== 3)
        throw new SaslAuthenticationError('Invalid SASL/PLAIN request: expected 3 tokens');
      const [authzid, username, password] = parts as [string, string, string];
      if (authzid !== '' && authzid !== username)
        throw new SaslAuthenticationError(
          'Authentication failed: Client requested an authorization id that is different from username',
        );
      const user = credentials.get(username);
      if (user === undefined || !timingSafeEqual(user.passwordHash, sha512(password)))
        throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
      return { response: Buffer.alloc(0), done: true, username };
    },
  };
}

/** Parses "k=v,k=v" SCRAM attributes (values may contain '=' but not ','). */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new SaslAuthenticationError('Invalid SCRAM message');
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** saslname decoding: "=2C" is ',' and "=3D" is '='; any other '=' is invalid (RFC 5802 §5.1). */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new SaslAuthenticationError('Invalid SCRAM username encoding');
  return name.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

function scramExchange(credentials: SaslCredentials): SaslExchange {
  const failed = () =>
    new SaslAuthenticationError(
      'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
  let state:
    | { step: 'first' }
    | {
        step: 'final';
        gs2Header: string;
        clientFirstBare: string;
        serverFirst: string;
        nonce: string;
        user: StoredUser;
        username: string;
      }
    | { step: 'done' } = { step: 'first' };

  return {
    step(token) {
      const message = token.toString('utf8');
      if (state.step === 'first') {
        // gs2-header: "n,," or "n,a=authzid," (no channel binding: SASL_PLAINTEXT / no tls-unique in Kafka).
        const m = /^(n|y),(a=[^,]*)?,(.*)$/s.exec(message);
        if (m === null) throw new SaslAuthenticationError('Invalid SCRAM client-first message');
        const clientFirstBare = m[3]!;
        const attrs = attributes(clientFirstBare);
        const username = decodeSaslName(attrs.get('n') ?? '');
        const clientNonce = attrs.get('r');
        if (!clientNonce) throw new SaslAuthenticationError('Invalid SCRAM client-first message: no nonce');
        const authzid = m[2]?.slice(2);
        if (authzid !== undefined && authzid !== '' && decodeSaslName(authzid) !== username)
          throw new SaslAuthenticationError('Authentication failed: authorization id differs from username');
        const user = credentials.get(username);
        if (user === undefined) throw failed();
        const nonce = clientNonce + randomBytes(18).toString('base64url');
        const serverFirst = `r=${nonce},s=${user.salt.toString('base64')},i=${SCRAM_ITERATIONS}`;
        state = {
          step: 'final',
          gs2Header: message.slice(0, message.length - clientFirstBare.length),
          clientFirstBare,
          serverFirst,
          nonce,
          user,
          username,
        };
        return { response: Buffer.from(serverFirst), done: false };
      }
      if (state.step === 'final') {
        const { gs2Header, clientFirstBare, serverFirst, nonce, user, username } = state;
        state = { step: 'done' };
        const proofAt = message.lastIndexOf(',p=');
        if (proofAt < 0) throw new SaslAuthenticationError('Invalid SCRAM client-final message: no proof');
        const withoutProof = message.slice(0, proofAt);
        const attrs = attributes(withoutProof);
        if (attrs.get('c') !== Buffer.from(gs2Header).toString('base64'))
          throw new SaslAuthenticationError('Invalid SCRAM client-final message: channel binding mismatch');
        // Kafka's ScramSaslServer (in the releases DMS runs) only checks that the nonce ENDS with
        // the one it sent, and librdkafka 2.0 relies on that: it sends the client nonce twice.
        if (!(attrs.get('r') ?? '').endsWith(nonce))
          throw new SaslAuthenticationError('Invalid client nonce in the final client message.');
        const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
        const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
        const clientSignature = hmac512(user.storedKey, authMessage);
        if (proof.length !== clientSignature.length) throw failed();
        const clientKey = Buffer.alloc(proof.length);
        for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
        if (!timingSafeEqual(sha512(clientKey), user.storedKey)) throw failed();
        const serverSignature = hmac512(user.serverKey, authMessage).toString('base64');
        return { response: Buffer.from(`v=${serverSignature}`), done: true, username };
      }
      throw new SaslAuthenticationError('SCRAM exchange already complete');
    },
  };
}
