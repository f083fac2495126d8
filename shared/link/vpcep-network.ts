/**
 * The network facts a link depends on: where VPCEP's traffic comes from, the port the brokers'
 * cross-VPC listeners serve, and how our firewall rules are recognised.
 */

/** The network VPCEP uses for its own traffic; client subnets must not overlap it. */
export const VPCEP_SERVICE_CIDR = '198.19.128.0/17';
export const KAFKA_CROSS_VPC_PORT = 9011;

/** Marks our rules, so reconcile and unlink recognise them. */
export function ruleDescription(instanceId: string): string {
  return `kafka-vpcep-link ${instanceId}`;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function cidrsOverlap(a: string, b: string): boolean {
  const range = (cidr: string): [number, number] => {
    const [ip = '0.0.0.0', bits = '32'] = cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    const start = Math.floor(ipv4ToInt(ip) / size) * size;
    return [start, start + size - 1];
  };
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}
