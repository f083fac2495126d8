/**
 * Helpers for the deployment tests: small code packages, a FunctionGraph client on the emulator
 * (the project's signed client, as the deployer uses it), and the SMN topics of the seeded world.
 */
import { zipSync } from 'fflate';
import { createFunctionGraphClient, type FunctionGraphClient } from '../../deploy/functiongraph-client.js';
import type { EmulatorHandle } from '../../local/cloud/server.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../shared/cloud/http.js';

/** A zip of the given files (text), paths as given. */
export function zipOf(files: Record<string, string>): Buffer {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(files)) entries[name] = new TextEncoder().encode(text);
  return Buffer.from(zipSync(entries));
}

/**
 * A CommonJS handler: returns its version, a user-data value and the event; fails when the event
 * says so (`{fail: "why"}`), so retries and destinations can be exercised.
 */
export function handlerCode(version: string): string {
  return `exports.handler = async (event, context) => {
  if (event && event.fail) throw new Error('asked to fail: ' + event.fail);
  return { version: ${JSON.stringify(version)}, greeting: context.getUserData('GREETING'), event };
};
`;
}

export function functionGraph(
  emulator: EmulatorHandle,
  account: { ak: string; sk: string; projectId: string } = emulator.seed!.owner,
): FunctionGraphClient {
  const http = (retries: number) =>
    createCloudHttp({
      service: 'functiongraph',
      region: emulator.region,
      projectId: account.projectId,
      credentials: staticCredentials({ ak: account.ak, sk: account.sk }),
      baseUrl: emulator.endpoint,
      retry: { retries, baseDelayMs: 10, maxDelayMs: 50 },
    });
  return createFunctionGraphClient(http(1), http(0));
}

/** The create-function input of a test function (`kvl-test-<name>` in package `kvl-test`). */
export function testFunction(name: string, version = 'v1') {
  return {
    funcName: `kvl-test-${name}`,
    package: 'kvl-test',
    runtime: 'Node.js20.15',
    handler: 'index.handler',
    memorySize: 128,
    timeout: 30,
    userData: { GREETING: 'hello' } as Record<string, string>,
    xrole: 'kvl-functions',
    description: 'test function',
    zip: zipOf({ 'index.js': handlerCode(version) }),
  };
}
