/**
 * The emulator's FunctionGraph management API (local/cloud/functiongraph.ts), through the project's
 * FunctionGraph client (what `serverless deploy` uses) and, as an oracle, the official
 * `@huaweicloud/huaweicloud-sdk-functiongraph` client signing with its own code.
 */
import { createHash } from 'node:crypto';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import {
  CreateFunctionTriggerRequest,
  CreateFunctionTriggerRequestBody,
  FunctionGraphClient,
  InvokeFunctionRequest,
  ListFunctionsRequest,
  ListFunctionsResponse,
  ListFunctionTriggerResult,
  ListFunctionTriggersRequest,
  ShowFunctionAsyncInvokeConfigRequest,
  ShowFunctionAsyncInvokeConfigResponse,
  ShowFunctionConfigRequest,
  ShowFunctionConfigResponse,
  TriggerEventDataRequestBody,
} from '@huaweicloud/huaweicloud-sdk-functiongraph';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionGraphClient as KvlFunctionGraphClient } from '../../deploy/functiongraph-client.js';
import { type EmulatorHandle, startEmulator } from '../../local/cloud/server.js';
import { type LocalRuntime, startRuntime } from '../../local/runtime/index.js';
import { CloudApiError, ConflictError, NotFoundError } from '../../shared/cloud/errors.js';
import { contractChecks } from '../helpers/contract-marks.js';
import { functionGraph, testFunction, zipOf } from '../helpers/deploy.js';
import { cloudCall, ownerCredentials } from '../helpers/emulator-calls.js';

let emu: EmulatorHandle;
let fg: KvlFunctionGraphClient;
let runtime: LocalRuntime | undefined;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0 });
  fg = functionGraph(emu);
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  // Each test starts from an empty FunctionGraph.
  for (const fn of await fg.listFunctions()) await fg.deleteFunction(fn.funcUrn);
});
afterAll(async () => {
  await emu.close();
});

async function failure(promise: Promise<unknown>): Promise<CloudApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CloudApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function raw(method: string, path: string, body?: unknown) {
  return cloudCall(emu, {
    method,
    path: `/v2/${emu.seed!.owner.projectId}/fgs${path}`,
    body,
    credentials: ownerCredentials(emu),
  });
}

const topics = () => emu.config().topics;

describe('emulator FunctionGraph: functions', () => {
  it('creates a function from an inline zip and reads back its configuration and code', async () => {
    const input = testFunction('create');
    const created = await fg.createFunction(input);
    const { projectId } = emu.seed!.owner;

    expect(created).toMatchObject({
      funcUrn: `urn:fss:${emu.region}:${projectId}:function:kvl-test:kvl-test-create:latest`,
      funcName: 'kvl-test-create',
      package: 'kvl-test',
      runtime: 'Node.js20.15',
      handler: 'index.handler',
      memorySize: 128,
      timeout: 30,
      userData: { GREETING: 'hello' },
      xrole: 'kvl-functions',
      codeType: 'zip',
      codeSize: input.zip.length,
      digest: createHash('sha512').update(input.zip).digest('hex'),
    });
    expect(await fg.getFunctionConfig(created.funcUrn)).toEqual(created);
    // The URN without its version names the same function.
    expect((await fg.getFunctionConfig(created.funcUrn.replace(/:latest$/, ''))).funcName).toBe(
      'kvl-test-create',
    );
    const code = await raw('GET', `/functions/${created.funcUrn}/code`);
    expect(Buffer.from(code.json.func_code.file, 'base64').equals(input.zip)).toBe(true);
    expect((await fg.listFunctions({ packageName: 'kvl-test' })).map((f) => f.funcName)).toEqual([
      'kvl-test-create',
    ]);
    expect(await fg.listFunctions({ packageName: 'other' })).toEqual([]);
  });

  it('refuses a duplicate and invalid configurations with the documented FSS codes', async () => {
    // Out-of-range memory and timeout are sent on purpose: the emulator must refuse them.
    contractChecks.expectRefusals();
    await fg.createFunction(testFunction('dup'));
    const duplicate = await failure(fg.createFunction(testFunction('dup')));
    expect(duplicate).toBeInstanceOf(ConflictError);
    expect(duplicate.code).toBe('FSS.0409');

    const cases: Array<[Partial<ReturnType<typeof testFunction>>, string]> = [
      [{ runtime: 'nodejs20.x' }, 'FSS.1005'],
      [{ memorySize: 100 }, 'FSS.1007'],
      [{ timeout: 2 }, 'FSS.1008'],
      [{ handler: 'index' }, 'FSS.1003'],
      [{ funcName: '9starts-with-a-digit' }, 'FSS.1002'],
      [{ userData: { 'bad-key': 'x' } }, 'FSS.1009'],
      [{ zip: Buffer.from('not a zip at all, only text') }, 'FSS.1006'],
    ];
    for (const [change, code] of cases) {
      const error = await failure(fg.createFunction({ ...testFunction('invalid'), ...change }));
      expect({ change, status: error.httpStatus, code: error.code }).toEqual({ change, status: 400, code });
    }
    expect((await fg.listFunctions()).map((f) => f.funcName)).toEqual(['kvl-test-dup']);
  });

  it('attaches a function to a VPC (func_vpc) of the project, and refuses an unknown one or no agency', async () => {
    // Arrange
    const seed = emu.seed!;
    const funcVpc = { vpcId: seed.clientVpcId, subnetId: seed.clientSubnetId };

    // Act
    const created = await fg.createFunction({ ...testFunction('vpc'), funcVpc });
    const readBack = await fg.getFunctionConfig(created.funcUrn);
    const unknown = await failure(
      fg.createFunction({ ...testFunction('vpc-unknown'), funcVpc: { ...funcVpc, vpcId: 'no-such-vpc' } }),
    );
    const wrongSubnet = await failure(
      fg.createFunction({
        ...testFunction('vpc-subnet'),
        funcVpc: { ...funcVpc, subnetId: seed.instanceSubnetId },
      }),
    );
    const noAgency = await failure(
      fg.createFunction({ ...testFunction('vpc-agency'), xrole: undefined, funcVpc }),
    );

    // Assert
    expect(readBack.funcVpc).toEqual(funcVpc);
    expect([unknown.httpStatus, unknown.code]).toEqual([400, 'FSS.0400']);
    expect(wrongSubnet.message).toMatch(/is not a subnet of/);
    expect(noAgency.message).toMatch(/agency/);
  });

  it('updates configuration and code; the name cannot change', async () => {
    const { funcUrn, digest } = await fg.createFunction(testFunction('update'));
    const updated = await fg.updateFunctionConfig(funcUrn, {
      funcName: 'kvl-test-update',
      runtime: 'Node.js20.15',
      handler: 'index.handler',
      memorySize: 512,
      timeout: 60,
      userData: { GREETING: 'hi' },
      description: 'changed',
    });
    expect(updated).toMatchObject({
      memorySize: 512,
      timeout: 60,
      userData: { GREETING: 'hi' },
      description: 'changed',
    });

    const zip = zipOf({ 'index.js': 'exports.handler = async () => 2;\n' });
    await fg.updateFunctionCode(funcUrn, zip);
    const after = await fg.getFunctionConfig(funcUrn);
    expect(after.digest).not.toBe(digest);
    expect(after.codeSize).toBe(zip.length);
    // Handed the listed URN (`…:latest`), the client names the function without its version in the
    // config and code calls, as Terraform does on real accounts.
    expect(funcUrn).toMatch(/:latest$/);
    const functionCalls = emu
      .requests()
      .filter((r) => /\/fgs\/functions\/urn:[^/]+\/(config|code)$/.test(r.path))
      .map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')}`);
    const bare = funcUrn.replace(/:latest$/, '');
    expect(functionCalls.slice(-3)).toEqual([`PUT ${bare}/config`, `PUT ${bare}/code`, `GET ${bare}/config`]);

    const rename = await raw('PUT', `/functions/${funcUrn}/config`, {
      func_name: 'other',
      runtime: 'Node.js20.15',
    });
    expect(rename.status).toBe(400);
    expect(rename.json).toMatchObject({ error_code: 'FSS.1002', request_id: rename.headers['x-request-id'] });
    expect(
      (await raw('GET', `/functions/${funcUrn.replace('update', 'missing')}/config`)).json.error_code,
    ).toBe('FSS.0404');
  });

  it('lists in pages with marker and maxitems', async () => {
    for (const name of ['a', 'b', 'c']) await fg.createFunction(testFunction(`page-${name}`));
    const first = await raw('GET', '/functions?maxitems=2');
    expect(first.json).toMatchObject({ next_marker: 2, count: 3 });
    expect(first.json.functions).toHaveLength(2);
    const second = await raw('GET', '/functions?maxitems=2&marker=2');
    expect(second.json.functions.map((f: any) => f.func_name)).toEqual(['kvl-test-page-c']);
    expect(await fg.listFunctions()).toHaveLength(3);
  });

  it('takes maxitems 0 or above 400 as the default 400; only a negative maxitems is refused', async () => {
    // Arrange: ListFunctionsRequest.maxitems (Go SDK model) documents 0 and > 400 as the default.
    for (const name of ['a', 'b']) await fg.createFunction(testFunction(`max-${name}`));

    // Act
    const zero = await raw('GET', '/functions?maxitems=0');
    const above = await raw('GET', '/functions?maxitems=401');
    const negative = await raw('GET', '/functions?maxitems=-1');

    // Assert
    expect([zero.status, zero.json.functions.length, zero.json.next_marker]).toEqual([200, 2, 2]);
    expect([above.status, above.json.functions.length]).toEqual([200, 2]);
    expect([negative.status, negative.json.error_code]).toEqual([400, 'FSS.1001']);
  });

  it('keeps projects apart', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('mine'));
    const partner = functionGraph(emu, emu.seed!.partner);
    expect(await partner.listFunctions()).toEqual([]);
    // Another project's URN names no function of the caller.
    const crossing = await failure(partner.getFunctionConfig(funcUrn));
    expect([crossing.httpStatus, crossing.code]).toEqual([404, 'FSS.0404']);
    // And the owner's project in the path is refused at the gateway.
    const partnerCall = await cloudCall(emu, {
      method: 'GET',
      path: `/v2/${emu.seed!.owner.projectId}/fgs/functions`,
      credentials: {
        ak: emu.seed!.partner.ak,
        sk: emu.seed!.partner.sk,
        projectId: emu.seed!.partner.projectId,
      },
    });
    expect([partnerCall.status, partnerCall.json.error_code]).toEqual([403, 'APIGW.0302']);
  });
});

describe('emulator FunctionGraph: triggers', () => {
  it('an SMN trigger is a functionstage subscription to its topic, removed with the trigger', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('smn'));
    const trigger = await fg.createTrigger(funcUrn, {
      triggerTypeCode: 'SMN',
      triggerStatus: 'ACTIVE',
      eventData: { topic_urn: topics().linkRequests },
    });
    expect(trigger).toMatchObject({
      triggerTypeCode: 'SMN',
      triggerStatus: 'ACTIVE',
      eventData: { topic_urn: topics().linkRequests },
    });
    const subscribed = () =>
      emu.world.subscriptions.filter((s) => s.endpoint === funcUrn && s.topicUrn === topics().linkRequests);
    expect(subscribed()).toHaveLength(1);
    expect(subscribed()[0]?.protocol).toBe('functionstage');

    const again = await failure(
      fg.createTrigger(funcUrn, {
        triggerTypeCode: 'SMN',
        triggerStatus: 'ACTIVE',
        eventData: { topic_urn: topics().linkRequests },
      }),
    );
    expect(again.code).toBe('FSS.0409');
    const disabled = await failure(
      fg.createTrigger(funcUrn, {
        triggerTypeCode: 'SMN',
        triggerStatus: 'DISABLED',
        eventData: { topic_urn: topics().events },
      }),
    );
    expect(disabled.code).toBe('FSS.0400');
    const missingTopic = await failure(
      fg.createTrigger(funcUrn, {
        triggerTypeCode: 'SMN',
        triggerStatus: 'ACTIVE',
        eventData: { topic_urn: `${topics().events}-missing` },
      }),
    );
    expect(missingTopic).toBeInstanceOf(NotFoundError);

    expect(await fg.listTriggers(funcUrn)).toEqual([trigger]);
    await fg.deleteTrigger(funcUrn, 'SMN', trigger.triggerId);
    expect(await fg.listTriggers(funcUrn)).toEqual([]);
    expect(subscribed()).toHaveLength(0);
  });

  it('validates timer, CTS and Kafka triggers; Kafka starts DISABLED and timers can be switched', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('triggers'));
    const timer = await fg.createTrigger(funcUrn, {
      triggerTypeCode: 'TIMER',
      triggerStatus: 'ACTIVE',
      eventData: { name: 'every-minute', schedule_type: 'Rate', schedule: '1m', user_event: '{"job":"x"}' },
    });
    await fg.updateTriggerStatus(funcUrn, 'TIMER', timer.triggerId, 'DISABLED');
    expect((await fg.listTriggers(funcUrn))[0]?.triggerStatus).toBe('DISABLED');

    const badTimer = await raw('POST', `/triggers/${funcUrn}`, {
      trigger_type_code: 'TIMER',
      event_data: { name: 'bad', schedule_type: 'Rate', schedule: 'every minute' },
    });
    expect([badTimer.status, badTimer.json.error_code]).toEqual([400, 'FSS.0400']);
    // A Rate is at most 60 minutes, 24 hours or 30 days.
    for (const schedule of ['61m', '25h', '31d', '0m']) {
      const tooLong = await raw('POST', `/triggers/${funcUrn}`, {
        trigger_type_code: 'TIMER',
        event_data: { name: `rate-${schedule}`, schedule_type: 'Rate', schedule },
      });
      expect([schedule, tooLong.status]).toEqual([schedule, 400]);
    }
    const badCts = await raw('POST', `/triggers/${funcUrn}`, {
      trigger_type_code: 'CTS',
      event_data: { name: 'cts', operations: ['not an operation'] },
    });
    expect(badCts.status).toBe(400);
    const cts = await raw('POST', `/triggers/${funcUrn}`, {
      trigger_type_code: 'CTS',
      event_data: { name: 'cts', operations: ['DMS:kafka:createDMSInstanceTaskSuccess'] },
    });
    expect([cts.status, cts.json.trigger_status]).toEqual([201, 'ACTIVE']);

    const unknownInstance = await raw('POST', `/triggers/${funcUrn}`, {
      trigger_type_code: 'KAFKA',
      event_data: { instance_id: '00000000-0000-4000-8000-000000000000', topic_ids: ['t'] },
    });
    expect([unknownInstance.status, unknownInstance.json.error_code]).toEqual([404, 'FSS.0404']);
    const kafka = await raw('POST', `/triggers/${funcUrn}`, {
      trigger_type_code: 'KAFKA',
      event_data: { instance_id: emu.seed!.instanceId, topic_ids: ['kvl-link-requests'], batch_size: 10 },
    });
    expect([kafka.status, kafka.json.trigger_status]).toEqual([201, 'DISABLED']);
    expect(await fg.listTriggers(funcUrn)).toHaveLength(3);
  });

  it('deleting a function deletes its triggers, subscriptions and async configuration', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('cascade'));
    await fg.createTrigger(funcUrn, {
      triggerTypeCode: 'SMN',
      triggerStatus: 'ACTIVE',
      eventData: { topic_urn: topics().events },
    });
    await fg.putAsyncInvokeConfig(funcUrn, { maxAsyncRetryAttempts: 1, maxAsyncEventAgeInSeconds: 60 });
    // The API refuses to delete the latest version; the client deletes the function by its bare URN.
    expect((await raw('DELETE', `/functions/${funcUrn}`)).status).toBe(400);
    await fg.deleteFunction(funcUrn);
    expect(emu.world.subscriptions.filter((s) => s.endpoint === funcUrn)).toEqual([]);
    expect(emu.world.functionGraph?.triggers.filter((t) => t.funcUrn === funcUrn)).toEqual([]);
    expect(emu.world.functionGraph?.asyncConfigs.filter((c) => c.funcUrn === funcUrn)).toEqual([]);
    expect(await failure(fg.listTriggers(funcUrn))).toBeInstanceOf(NotFoundError);
  });
});

describe('emulator FunctionGraph: async invocation configuration', () => {
  it('stores retries, maximum age and an SMN on-failure destination; refuses a missing topic', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('async'));
    expect(await fg.getAsyncInvokeConfig(funcUrn)).toBeUndefined();
    const config = {
      maxAsyncRetryAttempts: 2,
      maxAsyncEventAgeInSeconds: 3600,
      onFailure: { destination: 'SMN' as const, param: { topic_urn: topics().events } },
    };
    await fg.putAsyncInvokeConfig(funcUrn, config);
    expect(await fg.getAsyncInvokeConfig(funcUrn)).toEqual({ ...config, onSuccess: undefined });

    const missing = await failure(
      fg.putAsyncInvokeConfig(funcUrn, {
        ...config,
        onFailure: { destination: 'SMN', param: { topic_urn: `${topics().events}-x` } },
      }),
    );
    expect(missing.code).toBe('FSS.0400');
    const tooMany = await failure(fg.putAsyncInvokeConfig(funcUrn, { ...config, maxAsyncRetryAttempts: 4 }));
    expect(tooMany.httpStatus).toBe(400);
    expect((await fg.getAsyncInvokeConfig(funcUrn))?.maxAsyncRetryAttempts).toBe(2);
  });
});

describe('emulator FunctionGraph: no async invocation configuration', () => {
  it('answers 200 without configuration fields; the client reads that as none; 404 is a missing function', async () => {
    // Arrange
    const { funcUrn } = await fg.createFunction(testFunction('no-async'));

    // Act
    const shown = await raw('GET', `/functions/${funcUrn}/async-invoke-config`);
    const missing = await raw('GET', `/functions/${funcUrn.replace('no-async', 'gone')}/async-invoke-config`);

    // Assert: every field of ShowFunctionAsyncInvokeConfigResponse is optional (omitempty in the Go SDK).
    expect(shown.status).toBe(200);
    expect(shown.json).not.toHaveProperty('max_async_retry_attempts');
    expect(shown.json).not.toHaveProperty('max_async_event_age_in_seconds');
    expect(shown.json).not.toHaveProperty('destination_config');
    expect(await fg.getAsyncInvokeConfig(funcUrn)).toBeUndefined();
    expect(missing.status).toBe(404);
    expect(await failure(fg.getAsyncInvokeConfig(funcUrn.replace('no-async', 'gone')))).toBeInstanceOf(
      NotFoundError,
    );
  });

  it('after DELETE the configuration reads as none again', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('async-del'));
    await fg.putAsyncInvokeConfig(funcUrn, { maxAsyncRetryAttempts: 1, maxAsyncEventAgeInSeconds: 60 });
    expect((await raw('DELETE', `/functions/${funcUrn}/async-invoke-config`)).status).toBe(204);
    expect(await fg.getAsyncInvokeConfig(funcUrn)).toBeUndefined();
  });
});

describe('emulator FunctionGraph: invocation', () => {
  it('answers 503 while no runtime runs the deployed functions', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('no-runtime'));
    const error = await failure(fg.invoke(funcUrn, {}));
    expect([error.httpStatus, error.code]).toEqual([503, 'FSS.0503']);
  });

  it('runs the deployed code through the runtime: result, function error, async', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('invoke', 'v7'));
    runtime = await startRuntime({ emulator: emu, source: 'deployed', logSink: () => {}, retryDelayMs: 5 });

    const ok = await fg.invoke(funcUrn, { hello: 'world' });
    expect(ok).toMatchObject({
      status: 200,
      result: { version: 'v7', greeting: 'hello', event: { hello: 'world' } },
    });

    const failed = await fg.invoke(funcUrn, { fail: 'on purpose' });
    expect(failed.status).toBe(500);
    expect(failed.result).toMatchObject({ errorType: 'Error', errorMessage: 'asked to fail: on purpose' });

    // Without `X-CFF-Request-Version: v1` (v0, the default) the answer is the output as bare text.
    const v0 = await cloudCall(emu, {
      method: 'POST',
      path: `/v2/${emu.seed!.owner.projectId}/fgs/functions/${funcUrn}/invocations`,
      body: { hello: 'text' },
      credentials: ownerCredentials(emu),
    });
    expect([v0.status, v0.headers['content-type']]).toEqual([200, 'text/plain;charset=UTF-8']);
    expect(v0.json).toMatchObject({ version: 'v7', event: { hello: 'text' } });
    expect(v0.json).not.toHaveProperty('request_id');

    const { requestId } = await fg.invokeAsync(funcUrn, { async: true });
    expect(requestId).toEqual(expect.any(String));
    await runtime.idle();
    expect(runtime.invocations.filter((r) => r.trigger === 'invoke-async' && r.status === 'ok')).toHaveLength(
      1,
    );
  });
});

describe('official FunctionGraph SDK against the emulator', () => {
  const sdk = () =>
    FunctionGraphClient.newBuilder()
      .withCredential(
        new BasicCredentials()
          .withAk(emu.seed!.owner.ak)
          .withSk(emu.seed!.owner.sk)
          .withProjectId(emu.seed!.owner.projectId),
      )
      .withEndpoint(emu.endpoint)
      .build();

  const wire = (value: unknown) => value as Record<string, unknown>;

  /** Wire names the official model knows (what each `withX` builder writes). */
  function wireKeys(Model: new () => object): Set<string> {
    const keys = new Set<string>();
    for (
      let proto = Model.prototype;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
        if (!name.startsWith('with') || typeof descriptor.value !== 'function') continue;
        const probe = new Model() as Record<string, unknown>;
        (descriptor.value as (value: unknown) => unknown).call(probe, '__probe__');
        for (const [key, value] of Object.entries(probe)) if (value === '__probe__') keys.add(key);
      }
    }
    return keys;
  }

  it('lists, shows and triggers with the SDK; every field is one of its models', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('sdk'));
    const client = sdk();

    const list = await client.listFunctions(new ListFunctionsRequest().withPackageName('kvl-test'));
    expect(list.httpStatusCode).toBe(200);
    expect(
      Object.keys(list).filter((k) => k !== 'httpStatusCode' && !wireKeys(ListFunctionsResponse).has(k)),
    ).toEqual([]);
    // The SDK hands back the JSON body as is (snake_case), not model instances.
    expect(wire(list).functions).toEqual([expect.objectContaining({ func_name: 'kvl-test-sdk' })]);

    const asyncConfig = await client.showFunctionAsyncInvokeConfig(
      new ShowFunctionAsyncInvokeConfigRequest().withFunctionUrn(funcUrn),
    );
    expect(asyncConfig.httpStatusCode).toBe(200);
    const asyncKnown = wireKeys(ShowFunctionAsyncInvokeConfigResponse);
    expect(Object.keys(asyncConfig).filter((k) => k !== 'httpStatusCode' && !asyncKnown.has(k))).toEqual([]);

    const config = await client.showFunctionConfig(new ShowFunctionConfigRequest().withFunctionUrn(funcUrn));
    const known = wireKeys(ShowFunctionConfigResponse);
    expect(Object.keys(config).filter((k) => k !== 'httpStatusCode' && !known.has(k))).toEqual([]);
    expect(wire(config)).toMatchObject({ func_urn: funcUrn, runtime: 'Node.js20.15' });

    const body = new CreateFunctionTriggerRequestBody(
      'TIMER',
      new TriggerEventDataRequestBody().withName('sdk-timer').withScheduleType('Rate').withSchedule('5m'),
    ).withTriggerStatus('ACTIVE');
    const created = await client.createFunctionTrigger(
      new CreateFunctionTriggerRequest().withFunctionUrn(funcUrn).withBody(body),
    );
    expect(created.httpStatusCode).toBe(201);
    expect(wire(created).trigger_type_code).toBe('TIMER');

    const triggers = await client.listFunctionTriggers(
      new ListFunctionTriggersRequest().withFunctionUrn(funcUrn),
    );
    // The API answers with a bare array, which the SDK hands back as is.
    const rows = triggers as unknown as object[];
    expect(rows).toHaveLength(1);
    const triggerKeys = wireKeys(ListFunctionTriggerResult);
    expect(Object.keys(rows[0]!).filter((k) => !triggerKeys.has(k))).toEqual([]);
  });

  it('invokes with the SDK through a running runtime', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('sdk-invoke', 'v9'));
    runtime = await startRuntime({ emulator: emu, source: 'deployed', logSink: () => {} });
    const response = await sdk().invokeFunction(
      new InvokeFunctionRequest()
        .withFunctionUrn(funcUrn)
        // The SDK's model is the v1 envelope, and its docs say the SDK must ask for it.
        .withXCFFRequestVersion('v1')
        .withBody({ n: 1 } as unknown as { [key: string]: object }),
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(String(response.result))).toMatchObject({ version: 'v9', event: { n: 1 } });
  });
});
