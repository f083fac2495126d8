/**
 * The rules every layer applies to untrusted values: what a resource id may look like (it goes into
 * URL paths), what an IPv4 address is, and how a bad value is shown in an error message. One leaf
 * module, so the event contracts, the cloud clients and the domain cannot drift apart.
 */

/**
 * A Huawei resource id: UUIDs or 32-hex strings; the wider [A-Za-z0-9_-] set also covers the
 * emulator's and the docs' ids. Anything else could change the meaning of a URL ('../', '?', '#', '%').
 */
export const MAX_ID_LENGTH = 64;
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The rule of ID_PATTERN in words, for error messages. */
export const ID_CHARACTERS = '[A-Za-z0-9_-]';

/** Dotted-quad IPv4, no leading zeros (`010.0.0.1` is refused: some parsers read it as octal). */
export const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: unknown): value is string {
  return typeof value === 'string' && IPV4_PATTERN.test(value);
}

/**
 * `text` cut to `max` characters and stripped of control characters: untrusted text could forge log
 * lines or flood them.
 */
export function printable(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** A short, safe rendering of an untrusted value for error messages (`"abc…"`, `a number`). */
export function describeValue(value: unknown, max = 40): string {
  if (typeof value === 'string') return JSON.stringify(printable(value, max));
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
