/**
 * The loopback guard. On the machines this emulator runs on, traffic to any address outside
 * 127.0.0.0/8 is forbidden, so every listen and connect of the data plane goes through here and
 * refuses anything but an IPv4 literal in 127.0.0.0/8. Host names (even `localhost`) are refused:
 * what they resolve to is not ours to vouch for.
 */
import net from 'node:net';

export class NonLoopbackAddressError extends Error {
  readonly host: string;
  readonly purpose: 'listen' | 'connect';
  constructor(host: string, purpose: 'listen' | 'connect') {
    super(
      `refusing to ${purpose} on ${JSON.stringify(host)}: only IPv4 addresses in 127.0.0.0/8 are allowed`,
    );
    this.name = 'NonLoopbackAddressError';
    this.host = host;
    this.purpose = purpose;
  }
}

export class InvalidPortError extends Error {
  constructor(port: unknown) {
    super(`port must be an integer in 0..65535, got ${String(port)}`);
    this.name = 'InvalidPortError';
  }
}

/** True for a dotted-quad IPv4 literal (decimal, no leading zeros) whose first octet is 127. */
export function isLoopbackIPv4(host: string): boolean {
  const parts = host.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return false;
  return parts[0] === '127';
}

export function assertLoopback(host: string, purpose: 'listen' | 'connect'): void {
  if (typeof host !== 'string' || !isLoopbackIPv4(host))
    throw new NonLoopbackAddressError(String(host), purpose);
}

function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidPortError(port);
}

/** Listens `server` on host:port (port 0: ephemeral) after the guard; resolves with the bound port. */
export function listenLoopback(server: net.Server, host: string, port: number): Promise<number> {
  assertLoopback(host, 'listen');
  assertPort(port);
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Opens a TCP connection to host:port after the guard. */
export function connectLoopback(host: string, port: number): net.Socket {
  assertLoopback(host, 'connect');
  assertPort(port);
  return net.connect({ host, port });
}
