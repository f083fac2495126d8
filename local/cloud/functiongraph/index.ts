/**
 * FunctionGraph (management API v2) of the emulator: what `serverless deploy` calls — functions with
 * their code (an inline base64 zip), configuration, triggers (SMN, TIMER, CTS, KAFKA, …), the
 * async-invoke configuration — and invocation. Paths and bodies follow the official
 * `@huaweicloud/huaweicloud-sdk-functiongraph` models; error codes are the documented `FSS.*` ones
 * with the `{error_code, error_msg}` envelope.
 *
 * Deployed functions (code included) are kept in the World (`world.functionGraph`), so
 * `GET /_emulator/state` shows what was deployed. The local runtime runs them
 * (`startRuntime({source: 'deployed'})`): an SMN trigger is a real `functionstage` subscription made
 * here, as FunctionGraph does behind its SMN triggers, so a publish reaches the deployed function;
 * TIMER and CTS triggers are read by the runtime from these records. Invocations go to that runtime
 * through the emulator core; without a runtime they answer 503.
 *
 * Files: constants (limits, codes, name rules), models (records, lookups), parse (request fields),
 * views (answers), one handler file per resource (functions, triggers, async-config, invocations),
 * routes.
 */
import type { EmuRequest, EmuResponse, ServiceContext, ServiceModule } from '../types.js';
import { E, PREFIX } from './constants.js';
import { route } from './routes.js';

export { MAX_INLINE_ZIP_BYTES, MAX_USER_DATA_CHARS } from './constants.js';
export {
  type AsyncDestinationRecord,
  type AsyncInvokeConfigRecord,
  asyncInvokeConfig,
  type DeployedFunction,
  type DeployedTrigger,
  deployedFunctions,
  deployedTriggers,
  type FunctionGraphState,
  functionGraphState,
  parseUserData,
} from './models.js';

export function createFunctionGraphModule(): ServiceModule {
  return {
    name: 'functiongraph',
    matches(_method: string, path: string): boolean {
      return PREFIX.test(path);
    },
    invalidBodyCode: E.notAcceptable,
    projectIdInPath: (path) => PREFIX.exec(path)?.[1],
    async handle(req: EmuRequest, ctx: ServiceContext): Promise<EmuResponse> {
      return route(req, ctx);
    },
    errorBody(code: string, message: string, requestId: string): unknown {
      return { error_code: code, error_msg: message, request_id: requestId };
    },
  };
}
