/**
 * Function handlers: create, list, show and update configuration and code, delete (with the
 * function's triggers and async-invoke configuration).
 */

import { fail } from '../module-kit.js';
import type { EmuRequest, EmuResponse, ServiceContext } from '../types.js';
import { E, FUNC_NAME, LIST_MAX_ITEMS, PACKAGE_NAME, URN } from './constants.js';
import { changed, type DeployedFunction, deployedTriggers, functionGraphState, stamp } from './models.js';
import { body, checkFuncVpc, codePackage, configFields } from './parse.js';
import { removeTriggerResources } from './triggers.js';
import { codeView, configView } from './views.js';

export function createFunction(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const input = body(req);
  const funcName = input.func_name;
  if (typeof funcName !== 'string' || !FUNC_NAME.test(funcName)) {
    fail(400, E.invalidName, `Invalid func_name ${JSON.stringify(funcName)}.`);
  }
  const pkg = input.package ?? 'default';
  if (typeof pkg !== 'string' || !PACKAGE_NAME.test(pkg))
    fail(400, E.invalidPackage, `Invalid package ${JSON.stringify(pkg)}.`);
  const config = configFields(input);
  const code = codePackage(input);
  const state = functionGraphState(ctx.world);
  const projectId = req.caller.projectId;
  checkFuncVpc(ctx, projectId, config.funcVpc);
  if (
    state.functions.some((f) => f.projectId === projectId && f.package === pkg && f.funcName === funcName)
  ) {
    fail(409, E.exists, `Function ${funcName} already exists in package ${pkg}.`);
  }
  const now = stamp(ctx);
  const fn: DeployedFunction = {
    funcUrn: `urn:fss:${ctx.world.region}:${projectId}:function:${pkg}:${funcName}:latest`,
    funcId: ctx.newId(),
    funcName,
    package: pkg,
    projectId,
    domainId: req.caller.domainId,
    ...config,
    codeType: 'zip',
    codeFilename: code.filename,
    codeSize: code.size,
    digest: code.digest,
    code: code.code,
    createdAt: now,
    lastModified: now,
  };
  state.functions.push(fn);
  changed(ctx);
  return { status: 200, body: configView(fn) };
}

export function listFunctions(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const marker = Number(req.query.get('marker') ?? '0');
  const requested = Number(req.query.get('maxitems') ?? '0');
  if (!Number.isInteger(marker) || marker < 0 || !Number.isInteger(requested) || requested < 0) {
    fail(400, E.invalidQuery, 'Invalid marker or maxitems.');
  }
  // ListFunctionsRequest.maxitems (Go SDK model): absent, 0 or above 400 means the default 400;
  // only a negative value is a parameter error.
  const maxItems = requested === 0 || requested > LIST_MAX_ITEMS ? LIST_MAX_ITEMS : requested;
  const pkg = req.query.get('package_name');
  const name = req.query.get('func_name');
  const all = functionGraphState(ctx.world).functions.filter(
    (f) =>
      f.projectId === req.caller.projectId &&
      (pkg === null || f.package === pkg) &&
      (name === null || f.funcName.includes(name)),
  );
  const page = all.slice(marker, marker + maxItems);
  return {
    status: 200,
    body: {
      functions: page.map(configView),
      next_marker: marker + page.length,
      count: all.length,
    },
  };
}

export function updateConfig(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const input = body(req);
  if (input.func_name !== undefined && input.func_name !== fn.funcName) {
    fail(400, E.invalidName, 'func_name cannot be changed.');
  }
  const config = configFields(input, fn);
  checkFuncVpc(ctx, fn.projectId, config.funcVpc);
  if (!config.funcVpc) delete fn.funcVpc;
  Object.assign(fn, config, { lastModified: stamp(ctx) });
  changed(ctx);
  return { status: 200, body: configView(fn) };
}
export function showConfig(_req: EmuRequest, _ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  return { status: 200, body: configView(fn) };
}

export function showCode(_req: EmuRequest, _ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  return { status: 200, body: codeView(fn) };
}

export function updateCode(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const code = codePackage(body(req));
  Object.assign(fn, {
    code: code.code,
    codeSize: code.size,
    digest: code.digest,
    codeFilename: code.filename,
    lastModified: stamp(ctx),
  });
  changed(ctx);
  const { func_code: _omitted, ...view } = codeView(fn);
  return { status: 200, body: view };
}

export function deleteFunction(ctx: ServiceContext, fn: DeployedFunction, urn: string): EmuResponse {
  // "The latest version may not be deleted; to delete the whole function (every version), give a URN
  // without version or alias" [GSDK functiongraph/v2 model_delete_function_request.go; Terraform strips
  // the version before deleting]. The code is the emulator's generic FSS.0400: none is documented.
  if (URN.exec(urn)?.[5] === 'latest') {
    fail(
      400,
      E.invalid,
      'The latest version cannot be deleted: to delete the function, give its URN without a version.',
    );
  }
  const state = functionGraphState(ctx.world);
  for (const trigger of deployedTriggers(ctx.world, fn.funcUrn)) removeTriggerResources(ctx, trigger);
  state.triggers = state.triggers.filter((t) => t.funcUrn !== fn.funcUrn);
  state.asyncConfigs = state.asyncConfigs.filter((c) => c.funcUrn !== fn.funcUrn);
  state.functions = state.functions.filter((f) => f !== fn);
  changed(ctx);
  return { status: 204 };
}
