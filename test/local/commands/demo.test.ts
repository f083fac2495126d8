/**
 * `npm start` (the demo): a link through the local runtime, then the seed's "Verifying Connectivity"
 * with a real Kafka client through the emulator's data plane, broker by broker.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../../local/cli.js';

describe('demo', () => {
  it('links the seeded instance and verifies every broker with a real Kafka client', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io = { out: (t: string) => stdout.push(t), err: (t: string) => stderr.push(t), isTty: false };

    const code = await main(['node', 'kafka-vpcep-link', 'demo', '--speed', '40', '--json'], io, {});

    expect(code).toBe(0);
    expect(JSON.parse(stdout.join('\n')).type).toBe('kvl.link.completed');
    const verified = stderr.filter((l) =>
      /✔ verify broker \d at 127\.\d+\.\d+\.\d+:9011: produce \d+ ms/.test(l),
    );
    expect(verified).toHaveLength(3);
  }, 120_000);

  it('--quiet prints the completion and no progress lines', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io = { out: (t: string) => stdout.push(t), err: (t: string) => stderr.push(t), isTty: false };

    const code = await main(
      ['node', 'kafka-vpcep-link', 'demo', '--speed', '40', '--json', '--quiet'],
      io,
      {},
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout.join('\n')).type).toBe('kvl.link.completed');
    expect(stderr).toEqual([]);
  }, 120_000);
});
