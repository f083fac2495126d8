/**
 * Request parsing of the FunctionGraph module: bodies, configuration fields, user data, `func_vpc`
 * and the inline code package. Each refusal names the field, with the documented FSS code.
 */
import { createHash } from 'node:crypto';
import { fail, isObject, type JsonObject } from '../module-kit.js';
import type { EmuRequest, ServiceContext } from '../types.js';
import {
  AGENCY_NAME,
  E,
  MAX_INLINE_ZIP_BYTES,
  MAX_USER_DATA_CHARS,
  NODE_HANDLER,
  RUNTIME,
  USER_DATA_KEY,
} from './constants.js';

export function body(req: EmuRequest): JsonObject {
  if (req.body === undefined) return {};
  if (!isObject(req.body)) fail(400, E.invalid, 'The request body must be a JSON object.');
  return req.body;
}

export function stringField(data: JsonObject, key: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export interface ConfigFields {
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  userData: string;
  xrole: string;
  appXrole: string;
  description: string;
  funcVpc?: { vpcId: string; subnetId: string };
}

/**
 * `func_vpc`: vpc_id and subnet_id are required (non-pointer fields of GSDK model_func_vpc.go), and
 * the function needs an agency with VPC permissions ("需同时为函数配置具有vpc权限的委托", same file).
 */
export function funcVpcField(
  input: JsonObject,
  xrole: string,
  base?: ConfigFields,
): { vpcId: string; subnetId: string } | undefined {
  const raw = input.func_vpc;
  if (raw === undefined) return base?.funcVpc;
  if (raw === null) return undefined;
  if (
    !isObject(raw) ||
    typeof raw.vpc_id !== 'string' ||
    raw.vpc_id === '' ||
    typeof raw.subnet_id !== 'string' ||
    raw.subnet_id === ''
  )
    fail(400, E.invalid, 'Invalid func_vpc: vpc_id and subnet_id are required.');
  if (xrole === '') fail(400, E.invalid, 'func_vpc needs an agency (xrole) with VPC permissions.');
  return { vpcId: raw.vpc_id, subnetId: raw.subnet_id };
}

/** The VPC and subnet of `func_vpc` must exist in the caller's project, the subnet in that VPC. */
export function checkFuncVpc(ctx: ServiceContext, projectId: string, funcVpc: ConfigFields['funcVpc']): void {
  if (!funcVpc) return;
  const vpc = ctx.world.vpcs.find((v) => v.id === funcVpc.vpcId && v.projectId === projectId);
  if (!vpc) fail(400, E.invalid, `func_vpc.vpc_id ${funcVpc.vpcId} does not exist.`);
  const subnet = ctx.world.subnets.find((s) => s.id === funcVpc.subnetId && s.vpcId === vpc.id);
  if (!subnet) fail(400, E.invalid, `func_vpc.subnet_id ${funcVpc.subnetId} is not a subnet of ${vpc.id}.`);
}

export function integerField(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** Validates configuration fields; `base` supplies what an update leaves out. */
export function configFields(input: JsonObject, base?: ConfigFields): ConfigFields {
  const runtime = input.runtime ?? base?.runtime;
  if (typeof runtime !== 'string' || !RUNTIME.test(runtime)) {
    fail(400, E.invalidRuntime, `Invalid runtime ${JSON.stringify(runtime)} (e.g. Node.js20.15).`);
  }
  const handler = input.handler ?? base?.handler;
  if (
    typeof handler !== 'string' ||
    handler.length > 128 ||
    (runtime.startsWith('Node.js') && !NODE_HANDLER.test(handler))
  ) {
    fail(
      400,
      E.invalidHandler,
      `Invalid handler ${JSON.stringify(handler)} (file.export, e.g. index.handler).`,
    );
  }
  const memorySize = input.memory_size === undefined ? base?.memorySize : integerField(input.memory_size);
  if (memorySize === undefined || memorySize < 128 || memorySize > 10_240 || memorySize % 64 !== 0) {
    fail(400, E.invalidMemory, `Invalid memory_size ${JSON.stringify(input.memory_size)} (128-10240 MB).`);
  }
  const timeout = input.timeout === undefined ? base?.timeout : integerField(input.timeout);
  if (timeout === undefined || timeout < 3 || timeout > 259_200) {
    fail(400, E.invalidTimeout, `Invalid timeout ${JSON.stringify(input.timeout)} (3-259200 s).`);
  }
  const userData = input.user_data === undefined ? (base?.userData ?? '') : input.user_data;
  validateUserData(userData);
  const xrole = input.xrole ?? base?.xrole ?? '';
  const appXrole = input.app_xrole ?? base?.appXrole ?? '';
  for (const [field, value] of [
    ['xrole', xrole],
    ['app_xrole', appXrole],
  ] as const) {
    if (typeof value !== 'string' || (value !== '' && !AGENCY_NAME.test(value))) {
      fail(400, E.invalid, `Invalid ${field} ${JSON.stringify(value)}.`);
    }
  }
  const description = input.description ?? base?.description ?? '';
  if (typeof description !== 'string' || description.length > 512)
    fail(400, E.invalid, 'Invalid description.');
  const funcVpc = funcVpcField(input, xrole as string, base);
  return {
    ...(funcVpc ? { funcVpc } : {}),
    runtime,
    handler,
    memorySize,
    timeout,
    userData: userData as string,
    xrole: xrole as string,
    appXrole: appXrole as string,
    description,
  };
}

export function validateUserData(value: unknown): void {
  if (typeof value !== 'string') fail(400, E.invalidUserData, 'user_data must be a JSON object string.');
  if (value === '') return;
  if (value.length > MAX_USER_DATA_CHARS) {
    fail(400, E.invalidUserData, `user_data is over ${MAX_USER_DATA_CHARS} characters.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    fail(400, E.invalidUserData, 'user_data is not valid JSON.');
  }
  if (!isObject(parsed)) fail(400, E.invalidUserData, 'user_data must be a JSON object.');
  for (const [key, item] of Object.entries(parsed)) {
    if (!USER_DATA_KEY.test(key))
      fail(400, E.invalidUserData, `Invalid user_data key ${JSON.stringify(key)}.`);
    if (typeof item !== 'string') fail(400, E.invalidUserData, `user_data ${key} must be a string.`);
  }
}

/** The code package of a create or code update: an inline base64 zip. */
export function codePackage(input: JsonObject): {
  code: string;
  size: number;
  digest: string;
  filename: string;
} {
  const codeType = input.code_type ?? 'zip';
  if (codeType !== 'zip') {
    fail(
      400,
      E.invalidCodeType,
      `code_type ${JSON.stringify(codeType)} is not supported here (the emulator takes zip).`,
    );
  }
  const funcCode = input.func_code;
  const file = isObject(funcCode) ? funcCode.file : undefined;
  if (typeof file !== 'string' || file === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(file)) {
    fail(400, E.invalidCodeType, 'func_code.file must be the base64 of a zip.');
  }
  const bytes = Buffer.from(file, 'base64');
  if (bytes.length > MAX_INLINE_ZIP_BYTES) fail(413, E.tooLarge, 'The code package is over 50 MB.');
  // Local file header signature: refuse anything that is not a zip rather than fail at run time.
  if (bytes.length < 22 || bytes.readUInt32LE(0) !== 0x04034b50) {
    fail(400, E.invalidCodeType, 'func_code.file is not a zip archive.');
  }
  const filename =
    typeof input.code_filename === 'string' && input.code_filename !== '' ? input.code_filename : 'index.zip';
  return {
    code: file,
    size: bytes.length,
    digest: createHash('sha512').update(bytes).digest('hex'),
    filename,
  };
}
