/**
 * An accepted VPC endpoint as seen from the client VPC: a TCP listener on endpointIp:9011 that
 * forwards every connection to the broker behind its endpoint service's port_id. The broker's own
 * listener is not reachable from the client VPC; this is the only way in. Closing the listener
 * (endpoint deleted or rejected) also cuts the connections under way.
 */
import net from 'node:net';
import type { HostPort } from './broker.js';
import { connectLoopback, listenLoopback } from './loopback.js';

/** The port DMS cross-VPC access uses on the endpoint side. */
export const ENDPOINT_PORT = 9011;

export interface EndpointListenerOptions {
  host: string;
  /** Defaults to 9011. */
  port?: number;
  /** Where connections go: a fixed address, or read at each new connection. */
  target: HostPort | (() => HostPort);
}

export interface EndpointListener {
  readonly host: string;
  readonly port: number;
  /** Connections currently forwarded. */
  readonly connectionCount: number;
  /** Stops listening and closes every forwarded connection (both sides). Idempotent. */
  close(): Promise<void>;
}

export async function openEndpointListener(options: EndpointListenerOptions): Promise<EndpointListener> {
  const sockets = new Set<net.Socket>();
  const pairs = new Set<readonly [net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    let upstream: net.Socket;
    try {
      const target = typeof options.target === 'function' ? options.target() : options.target;
      upstream = connectLoopback(target.host, target.port);
    } catch {
      client.destroy();
      return;
    }
    const pair = [client, upstream] as const;
    pairs.add(pair);
    sockets.add(client);
    sockets.add(upstream);
    const teardown = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      pairs.delete(pair);
    };
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await listenLoopback(server, options.host, options.port ?? ENDPOINT_PORT);
  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    get connectionCount() {
      return pairs.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
        pairs.clear();
      });
      return closing;
    },
  };
}
