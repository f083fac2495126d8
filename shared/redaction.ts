/**
 * The one table of what is secret: field names whose values are secret, credential-looking pairs in
 * free text, and the secret values registered at run time (agency SK, security token, IAM token).
 * The logger, the cloud clients' error messages and the emulator's exchange log all redact with it,
 * so a secret kind added here disappears from every output at once.
 */

/** What a secret is replaced with, everywhere. */
export const REDACTED = '***';

/* ------------------------------------------------------------------ keys */

// Whole-word keys: `ak`/`sk` must not match `task`, `disk` or `mask`.
const SECRET_WORDS: ReadonlySet<string> = new Set(['ak', 'sk']);
// Substrings of the joined words: `X-Security-Token`, `clientSecret`, `db_password`, `Authorization`,
// `accessKey`, FunctionGraph's `encrypted_user_data`…
const SECRET_SUBSTRINGS: readonly string[] = [
  'secret',
  'token',
  'password',
  'passwd',
  'passcode',
  'authorization',
  'signature',
  'accesskey',
  'apikey',
  'privatekey',
  'credential',
  'encrypteduserdata',
];

/** True when a field name says its value is secret. */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  const joined = words.join('');
  return SECRET_SUBSTRINGS.some((s) => joined.includes(s));
}

/* ------------------------------------------------------------------ values */

const secrets = new Set<string>();
let secretsByLength: string[] = [];

// Shorter values would be replaced inside ordinary words; real AK/SK/tokens are 20+ characters.
const MIN_SECRET_LENGTH = 6;

/** Registers a value that must never be printed (process-wide, so every output redacts it). */
export function registerSecret(value: string | null | undefined): void {
  if (typeof value !== 'string') return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH || secrets.has(trimmed)) return;
  secrets.add(trimmed);
  // Longest first, so a secret containing another one is removed whole.
  secretsByLength = [...secrets].sort((a, b) => b.length - a.length);
}

/** Forgets every registered secret (tests). */
export function clearRegisteredSecrets(): void {
  secrets.clear();
  secretsByLength = [];
}

/* ------------------------------------------------------------------ text */

// `key=value`, `key: value` and `"key":"value"` pairs in free text: the value is cut when the key is
// secret by the table above; otherwise scanning goes on inside the value (it may hold `password=…`).
// A key starts only where no key character precedes it: without that anchor every position of a long
// word would be tried as a key start, which is quadratic in its length (and a denial of service).
const PAIR_START =
  /(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]*)(["']?\s*[:=]\s*["']?)(?!\*\*\*)(?=[^\s"',&;])/g;
const VALUE_END = /[\s"',&;]/g;
// Forms whose key does not say "secret": the AK in an SDK-HMAC-SHA256 Authorization header (a
// gateway may echo it), bearer tokens.
const TEXT_FORMS: ReadonlyArray<[RegExp, string]> = [
  [/\b(Access|Signature)=[^,\s"']+/g, `$1=${REDACTED}`],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, `Bearer ${REDACTED}`],
];

// `KVL_KAFKA_PASSWORD: required…` is how errors name a variable (they never print its value); an
// assignment (`KVL_KAFKA_PASSWORD=…`) or a quoted value is still cut.
const VARIABLE_NAME = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
function namesVariable(key: string, separator: string): boolean {
  return separator.trim() === ':' && VARIABLE_NAME.test(key);
}

function redactPairs(text: string): string {
  const pairs = new RegExp(PAIR_START);
  const ends = new RegExp(VALUE_END);
  let out = '';
  let copied = 0;
  for (let pair = pairs.exec(text); pair !== null; pair = pairs.exec(text)) {
    if (!isSecretKey(pair[1] ?? '') || namesVariable(pair[1] ?? '', pair[2] ?? '')) continue;
    const valueStart = pair.index + pair[0].length;
    ends.lastIndex = valueStart;
    const valueEnd = ends.exec(text)?.index ?? text.length;
    out += `${text.slice(copied, valueStart)}${REDACTED}`;
    copied = valueEnd;
    pairs.lastIndex = valueEnd;
  }
  return out + text.slice(copied);
}

/** Removes registered secret values, secret `key=value` pairs and credential forms from free text. */
export function redactText(value: string): string {
  let out = value;
  for (const secret of secretsByLength) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of TEXT_FORMS) out = out.replace(pattern, replacement);
  return redactPairs(out);
}
