/**
 * The schema of serverless.yml (provider `huawei`), one for its two readers: the deploy plugin
 * (serverless-plugin/plan.ts, after osls resolved the variables) and the local runtime
 * (local/runtime/serverless.ts, which resolves them itself). Two schemas had drifted apart: the
 * local runtime retried a failed async invocation twice by default, FunctionGraph once.
 *
 * serverless.yml keeps the schema of the serverless-huawei-functions plugin (`triggerTypeCode`/
 * `eventData` events, camelCase event data) plus `asyncInvoke`. Unknown keys pass (loose objects):
 * the framework itself adds some, and a valid file must never be refused.
 */
import * as z from 'zod';

/** Every trigger type code of FunctionGraph's create-trigger API (reference §2). */
export const TRIGGER_TYPES = [
  'SMN',
  'TIMER',
  'CTS',
  'KAFKA',
  'OPENSOURCEKAFKA',
  'RABBITMQ',
  'APIG',
  'DEDICATEDGATEWAY',
  'APIC',
  'DMS',
  'DDS',
  'GAUSSMONGO',
  'OBS',
  'LTS',
  'DIS',
  'EVENTGRID',
] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];
export type TriggerStatus = 'ACTIVE' | 'DISABLED';

/** Kafka (and DDS) triggers start DISABLED on FunctionGraph; every other one ACTIVE. */
export function defaultTriggerStatus(type: TriggerType): TriggerStatus {
  return type === 'KAFKA' || type === 'DDS' ? 'DISABLED' : 'ACTIVE';
}

/**
 * FunctionGraph's defaults when a function has no async-invoke configuration: 1 retry, events kept
 * 3600 s (GSDK services/functiongraph/v2/model/model_update_function_async_invoke_config_request_body.go
 * @1cd70eb6: "默认值为1。取值范围[0，3]" and "[1，86400] … 默认值为3600"; docs/reference/functiongraph.md
 * §async config). The emulator's FunctionGraph applies the same.
 */
export const ASYNC_INVOKE_DEFAULTS = { maxAsyncRetryAttempts: 1, maxAsyncEventAgeInSeconds: 3600 } as const;

export const eventSchema = z.looseObject({
  triggerTypeCode: z.enum(TRIGGER_TYPES),
  /** Default: `defaultTriggerStatus(triggerTypeCode)`. */
  status: z.enum(['ACTIVE', 'DISABLED']).optional(),
  eventData: z.record(z.string(), z.unknown()).default({}),
});

export const destinationSchema = z.looseObject({
  destination: z.enum(['SMN', 'OBS', 'DIS', 'FunctionGraph']),
  topicUrn: z.string().optional(),
  bucket: z.string().optional(),
  prefix: z.string().optional(),
  streamName: z.string().optional(),
  funcUrn: z.string().optional(),
});

export const asyncInvokeSchema = z.looseObject({
  maxAsyncRetryAttempts: z.coerce
    .number()
    .int()
    .min(0)
    .max(3)
    .default(ASYNC_INVOKE_DEFAULTS.maxAsyncRetryAttempts),
  maxAsyncEventAgeInSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(ASYNC_INVOKE_DEFAULTS.maxAsyncEventAgeInSeconds),
  onSuccess: destinationSchema.optional(),
  onFailure: destinationSchema.optional(),
});

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const functionSchema = z.looseObject({
  /** Set by the framework: `<service>-<stage>-<key>` unless serverless.yml names the function. */
  name: z.string().optional(),
  handler: z
    .string()
    .regex(/^[\w./-]+\.[A-Za-z_$][\w$]*$/, 'must look like file.export (e.g. index.handler)'),
  description: z.string().max(512).optional(),
  memorySize: z.coerce.number().int().optional(),
  timeout: z.coerce.number().int().min(3).max(259_200).optional(),
  runtime: z.string().optional(),
  xrole: z.string().optional(),
  /** FunctionGraph func_vpc: both ids, or both empty (then the function stays outside any VPC). */
  vpc: z.object({ vpcId: z.string().default(''), subnetId: z.string().default('') }).optional(),
  userData: z.record(z.string(), scalar.nullable()).default({}),
  /** Absent: FunctionGraph's defaults (`ASYNC_INVOKE_DEFAULTS`), and the deployer sets none. */
  asyncInvoke: asyncInvokeSchema.optional(),
  events: z.array(eventSchema).nullish(),
});

export const serviceSchema = z.looseObject({
  service: z.string().min(1),
  provider: z.looseObject({
    name: z.literal('huawei'),
    runtime: z.string().default('Node.js20.15'),
    region: z.string().min(1),
    stage: z.string().optional(),
    memorySize: z.coerce.number().int().default(256),
    timeout: z.coerce.number().int().default(30),
    /** The FunctionGraph application (`package`) the functions go into. */
    package: z.string().default('default'),
    xrole: z.string().optional(),
  }),
  custom: z
    .looseObject({
      functionGraph: z
        .looseObject({
          /** Module exporting `buildFunctions({outDir, quiet})` (the project's esbuild script). */
          build: z.string().default('scripts/build.mjs'),
          /** SMN topic URNs `serverless deploy` creates (a map or a list). */
          topics: z.union([z.record(z.string(), z.string()), z.array(z.string())]).optional(),
        })
        .optional(),
    })
    .nullish(),
  functions: z.record(z.string(), functionSchema).nullish(),
});

export type ServiceInput = z.output<typeof serviceSchema>;
export type FunctionInput = z.output<typeof functionSchema>;
export type DestinationInput = z.output<typeof destinationSchema>;

/** The first problem of a file that does not fit, as `serverless.yml: <path>: <message>`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `serverless.yml: ${(issue?.path ?? []).map(String).join('.')}: ${issue?.message}`;
}
