/**
 * VPC Endpoint (VPCEP) API v1 of the emulator: endpoint services, whitelists, connections,
 * endpoints, tags, query-by-tag and quotas (reference §B, fixtures `vpcep-*.json`).
 *
 * Creation and deletion are asynchronous in the real service (1–2 min). Each record therefore
 * carries its future states as `transitions`, applied by `settle` when emulated time passes them,
 * and the delays are exported so tests can advance the clock exactly past them.
 */
import { dispatch, fail } from '../module-kit.js';
import type { ServiceModule } from '../types.js';
import { E } from './constants.js';
import { settleEndpoints, settleServices } from './models.js';
import { ROUTES, SERVICE_PATH } from './routes.js';

export { vpcepWorldHooks } from './admin.js';
export {
  VPCEP_DESCRIPTION_MAX_LENGTH,
  VPCEP_ENDPOINT_CREATE_DELAY_MS,
  VPCEP_ENDPOINT_DELETE_DELAY_MS,
  VPCEP_ENDPOINT_DEVICE_OWNER,
  VPCEP_LIST_DEFAULT_LIMIT,
  VPCEP_LIST_MAX_LIMITS,
  VPCEP_MAX_PERMISSIONS,
  VPCEP_MAX_PORT_MAPPINGS,
  VPCEP_SERVICE_CREATE_DELAY_MS,
  VPCEP_SERVICE_DELETE_DELAY_MS,
  VPCEP_SERVICE_NAME_MAX_LENGTH,
  VPCEP_TAG_FILTER_LIMITS,
  VPCEP_TAG_LIMITS,
  VPCEP_TAG_QUERY_MAX_LIMIT,
} from './constants.js';

export function createVpcepModule(): ServiceModule {
  return {
    name: 'vpcep',
    invalidBodyCode: E.parameter,
    matches: (_method, path) => SERVICE_PATH.test(path),
    errorBody: (code, message) => ({ error_code: code, error_msg: message }),
    handle(req, ctx) {
      return dispatch(ROUTES, req, ctx, {
        projectMismatch: (projectId) =>
          fail(400, E.projectMismatch, `The project ID ${projectId} does not match the credentials.`),
        unknownRoute: () => fail(404, E.unknownApi, `The API ${req.method} ${req.path} does not exist.`),
      });
    },
    settle(ctx) {
      const now = ctx.clock.now();
      settleServices(ctx.world, now);
      settleEndpoints(ctx.world, now);
    },
  };
}
