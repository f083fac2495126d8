/**
 * The official `@huaweicloud/huaweicloud-sdk-functiongraph` client as an oracle for the FunctionGraph
 * operations deploy/ uses (deploy/functiongraph-client.ts) that test/deploy/functiongraph-emulator.test.ts
 * does not drive through the SDK yet: create, update config and code, trigger status and delete,
 * async-invoke configuration, async invocation and delete. The SDK signs with its own code and must
 * be able to read what the emulator answers; the suite's contract checks see these exchanges too.
 */
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import {
  AsyncInvokeFunctionRequest,
  CreateFunctionRequest,
  CreateFunctionRequestBody,
  CreateFunctionTriggerRequest,
  CreateFunctionTriggerRequestBody,
  DeleteFunctionRequest,
  DeleteFunctionTriggerRequest,
  FuncAsyncDestinationConfig,
  FuncCode,
  FuncDestinationConfig,
  FunctionGraphClient,
  ListFunctionTriggersRequest,
  ShowFunctionAsyncInvokeConfigRequest,
  ShowFunctionConfigRequest,
  TriggerEventDataRequestBody,
  UpdateFunctionAsyncInvokeConfigRequest,
  UpdateFunctionAsyncInvokeConfigRequestBody,
  UpdateFunctionCodeRequest,
  UpdateFunctionCodeRequestBody,
  UpdateFunctionConfigRequest,
  UpdateFunctionConfigRequestBody,
  UpdateTriggerRequest,
  UpdateTriggerRequestBody,
} from '@huaweicloud/huaweicloud-sdk-functiongraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import { type LocalRuntime, startRuntime } from '../../../local/runtime/index.js';
import { handlerCode, zipOf } from '../../helpers/deploy.js';

let emu: EmulatorHandle;
let runtime: LocalRuntime | undefined;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0 });
});
afterAll(async () => {
  await runtime?.close();
  await emu.close();
});

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

/** The SDK hands back the JSON body as is (snake_case). */
const wire = (value: unknown) => value as Record<string, unknown>;

async function sdkFailure(promise: Promise<unknown>): Promise<{ status: number; code?: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status?: number; errorCode?: string; httpStatusCode?: number };
    return { status: e.status ?? e.httpStatusCode ?? 0, code: e.errorCode };
  }
  throw new Error('expected the SDK call to fail');
}

describe('official FunctionGraph SDK: the deploy operations', () => {
  it('creates, updates configuration and code, and reads them back', async () => {
    const client = sdk();
    const zip = zipOf({ 'index.js': handlerCode('v1') }).toString('base64');

    const created = await client.createFunction(
      new CreateFunctionRequest().withBody(
        new CreateFunctionRequestBody('kvl-sdk-fn', 'kvl-test', 'Node.js20.15', 30, 'index.handler', 128)
          .withCodeType('zip')
          .withCodeFilename('index.zip')
          .withFuncCode(new FuncCode().withFile(zip))
          .withUserData(JSON.stringify({ GREETING: 'hello' }))
          .withXrole('kvl-functions'),
      ),
    );
    expect(created.httpStatusCode).toBe(200);
    const funcUrn = String(wire(created).func_urn);
    expect(funcUrn).toMatch(/^urn:fss:[^:]+:[0-9a-f]+:function:kvl-test:kvl-sdk-fn:latest$/);

    const updated = await client.updateFunctionConfig(
      new UpdateFunctionConfigRequest()
        .withFunctionUrn(funcUrn)
        .withBody(
          new UpdateFunctionConfigRequestBody(
            'kvl-sdk-fn',
            'Node.js20.15',
            60,
            'index.handler',
            256,
          ).withUserData(JSON.stringify({ GREETING: 'bonjour' })),
        ),
    );
    expect(updated.httpStatusCode).toBe(200);
    expect(wire(updated)).toMatchObject({ func_urn: funcUrn, memory_size: 256, timeout: 60 });

    const code = await client.updateFunctionCode(
      new UpdateFunctionCodeRequest()
        .withFunctionUrn(funcUrn)
        .withBody(
          new UpdateFunctionCodeRequestBody(
            'zip',
            new FuncCode().withFile(zipOf({ 'index.js': handlerCode('v2') }).toString('base64')),
          ).withCodeFilename('index.zip'),
        ),
    );
    expect(code.httpStatusCode).toBe(200);

    const config = await client.showFunctionConfig(new ShowFunctionConfigRequest().withFunctionUrn(funcUrn));
    expect(wire(config)).toMatchObject({ func_urn: funcUrn, memory_size: 256, code_type: 'zip' });
    expect(JSON.parse(String(wire(config).user_data))).toEqual({ GREETING: 'bonjour' });
  });

  it('switches a trigger off and deletes it; stores and reads the async-invoke configuration', async () => {
    const client = sdk();
    const funcUrn = String(
      wire(
        await client.createFunction(
          new CreateFunctionRequest().withBody(
            new CreateFunctionRequestBody('kvl-sdk-trg', 'kvl-test', 'Node.js20.15', 30, 'index.handler', 128)
              .withCodeType('zip')
              .withFuncCode(
                new FuncCode().withFile(zipOf({ 'index.js': handlerCode('v1') }).toString('base64')),
              ),
          ),
        ),
      ).func_urn,
    );
    const trigger = wire(
      await client.createFunctionTrigger(
        new CreateFunctionTriggerRequest()
          .withFunctionUrn(funcUrn)
          .withBody(
            new CreateFunctionTriggerRequestBody(
              'TIMER',
              new TriggerEventDataRequestBody()
                .withName('kvl-sdk-timer')
                .withScheduleType('Rate')
                .withSchedule('5m'),
            ).withTriggerStatus('ACTIVE'),
          ),
      ),
    );
    const triggerId = String(trigger.trigger_id);

    const off = await client.updateTrigger(
      new UpdateTriggerRequest()
        .withFunctionUrn(funcUrn)
        .withTriggerTypeCode('TIMER')
        .withTriggerId(triggerId)
        .withBody(new UpdateTriggerRequestBody().withTriggerStatus('DISABLED')),
    );
    expect(off.httpStatusCode).toBe(200);
    const listed = (await client.listFunctionTriggers(
      new ListFunctionTriggersRequest().withFunctionUrn(funcUrn),
    )) as unknown as Array<Record<string, unknown>>;
    expect([...listed]).toEqual([
      expect.objectContaining({ trigger_id: triggerId, trigger_status: 'DISABLED' }),
    ]);

    const deleted = await client.deleteFunctionTrigger(
      new DeleteFunctionTriggerRequest()
        .withFunctionUrn(funcUrn)
        .withTriggerTypeCode('TIMER')
        .withTriggerId(triggerId),
    );
    expect(deleted.httpStatusCode).toBe(204);

    const topic = emu.seed!.topics.events;
    const put = await client.updateFunctionAsyncInvokeConfig(
      new UpdateFunctionAsyncInvokeConfigRequest().withFunctionUrn(funcUrn).withBody(
        new UpdateFunctionAsyncInvokeConfigRequestBody()
          .withMaxAsyncRetryAttempts(2)
          .withMaxAsyncEventAgeInSeconds(3600)
          .withDestinationConfig(
            new FuncAsyncDestinationConfig().withOnFailure(
              new FuncDestinationConfig()
                .withDestination('SMN')
                .withParam(JSON.stringify({ topic_urn: topic })),
            ),
          ),
      ),
    );
    expect(put.httpStatusCode).toBe(200);
    const shown = wire(
      await client.showFunctionAsyncInvokeConfig(
        new ShowFunctionAsyncInvokeConfigRequest().withFunctionUrn(funcUrn),
      ),
    );
    expect(shown).toMatchObject({ max_async_retry_attempts: 2, max_async_event_age_in_seconds: 3600 });
    expect(wire(wire(shown.destination_config).on_failure)).toMatchObject({ destination: 'SMN' });

    // The latest version is not deleted on its own: the whole function goes by its URN without version.
    const refused = await sdkFailure(
      client.deleteFunction(new DeleteFunctionRequest().withFunctionUrn(funcUrn)),
    );
    expect(refused).toMatchObject({ status: 400, code: 'FSS.0400' });
    const wholeFunction = funcUrn.replace(/:latest$/, '');
    const gone = await client.deleteFunction(new DeleteFunctionRequest().withFunctionUrn(wholeFunction));
    expect(gone.httpStatusCode).toBe(204);
    const missing = await sdkFailure(
      client.showFunctionConfig(new ShowFunctionConfigRequest().withFunctionUrn(funcUrn)),
    );
    expect(missing).toMatchObject({ status: 404, code: 'FSS.0404' });
  });

  it('invokes asynchronously through a running runtime and gets a request id', async () => {
    const client = sdk();
    const funcUrn = String(
      wire(
        await client.createFunction(
          new CreateFunctionRequest().withBody(
            new CreateFunctionRequestBody(
              'kvl-sdk-async',
              'kvl-test',
              'Node.js20.15',
              30,
              'index.handler',
              128,
            )
              .withCodeType('zip')
              .withFuncCode(
                new FuncCode().withFile(zipOf({ 'index.js': handlerCode('v1') }).toString('base64')),
              ),
          ),
        ),
      ).func_urn,
    );
    runtime = await startRuntime({ emulator: emu, source: 'deployed', logSink: () => {} });
    const response = await client.asyncInvokeFunction(
      new AsyncInvokeFunctionRequest()
        .withFunctionUrn(funcUrn)
        .withBody({ n: 1 } as unknown as { [key: string]: object }),
    );
    expect(response.httpStatusCode).toBe(202);
    expect(String(wire(response).request_id)).not.toBe('');
  });
});
