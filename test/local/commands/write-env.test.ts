/**
 * One-line set-up (issue #16): `emulator --write-env FILE` writes everything the CLI needs, so
 * `source FILE` followed by a CLI command works with no other configuration.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';

const run = promisify(execFile);

describe('emulator --write-env', () => {
  it('writes export lines that a shell sources to run the CLI against the emulator, creating its folder', async () => {
    // Arrange: an emulator child writing the set-up file.
    const dir = mkdtempSync(join(tmpdir(), 'kvl-env-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    // In a folder that does not exist yet, as DEPLOY.md's `.serverless/emulator.env` in a fresh clone.
    const file = join(dir, '.serverless', 'kvl.env');
    const child = spawn(
      process.execPath,
      [
        'bin/kafka-vpcep-link.js',
        'emulator',
        '--port',
        '0',
        '--no-runtime',
        '--speed',
        '20',
        '--write-env',
        file,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const config = JSON.parse(
        await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout }).once('line', resolve);
          child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
        }),
      );

      // Act: a shell with nothing but PATH sources it and runs the CLI.
      const { stdout } = await run(
        'bash',
        [
          '-c',
          `set -e; source '${file}'; node bin/kafka-vpcep-link.js link --instance "$KVL_DEMO_INSTANCE_ID" --client-vpc "$KVL_DEMO_CLIENT_VPC_ID" --client-subnet "$KVL_DEMO_CLIENT_SUBNET_ID" --dry-run --quiet; echo "topic=$KVL_TOPIC_LINK_REQUESTS"`,
        ],
        { env: { PATH: process.env.PATH ?? '' } },
      );

      // Assert
      expect(stdout).toMatch(/Dry run for .*nothing was written/);
      expect(stdout).toContain(`topic=${config.topics.linkRequests}`);
      const text = readFileSync(file, 'utf8');
      for (const name of [
        'HUAWEICLOUD_ENDPOINT',
        'HUAWEICLOUD_REGION',
        'HUAWEICLOUD_SDK_AK',
        'HUAWEICLOUD_SDK_SK',
        'HUAWEICLOUD_SDK_PROJECT_ID',
        'KVL_TOPIC_EVENTS',
        'KVL_POLL_INTERVAL_MS',
        'KVL_FIRST_PROBE_AFTER_MS',
        'KVL_DEMO_PARTNER_VPC_ID',
      ]) {
        expect(text).toMatch(new RegExp(`^export ${name}='[^']+'$`, 'm'));
      }
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('emulator output', () => {
  it('prints no log lines without --verbose while the functions run a link', async () => {
    // Arrange: the emulator with its runtime, and the CLI set up from its file.
    const dir = mkdtempSync(join(tmpdir(), 'kvl-env-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'kvl.env');
    const child = spawn(
      process.execPath,
      ['bin/kafka-vpcep-link.js', 'emulator', '--port', '0', '--speed', '20', '--write-env', file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });

      // Act: a link through the chain, so every function runs and logs.
      const { stdout } = await run(
        'bash',
        [
          '-c',
          `source '${file}'; node bin/kafka-vpcep-link.js link --instance "$KVL_DEMO_INSTANCE_ID" --client-vpc "$KVL_DEMO_CLIENT_VPC_ID" --client-subnet "$KVL_DEMO_CLIENT_SUBNET_ID" --via queue --wait --timeout 60 --quiet | head -1`,
        ],
        { env: { PATH: process.env.PATH ?? '' } },
      );

      // Assert: the link completed; the emulator said only its two human lines.
      expect(stdout).toMatch(/^Linked /);
      expect(stderr.split('\n').filter((l) => l.trim().startsWith('{'))).toEqual([]);
      expect(stderr).toMatch(/emulator listening on/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('emulator --quiet', () => {
  it('prints its connection JSON on stdout and nothing on stderr', async () => {
    // Arrange
    const child = spawn(
      process.execPath,
      ['bin/kafka-vpcep-link.js', 'emulator', '--port', '0', '--no-runtime', '--quiet'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      // Act
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, 200));

      // Assert
      expect(JSON.parse(first).endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
