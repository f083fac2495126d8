/**
 * VPC of the emulator (files: common limits, codes and helpers; one handler file per resource): v3 security group rules, v3 network ACLs (firewalls), and the v1 VPC and
 * subnet reads (reference §C, fixtures `vpc-*.json`).
 *
 * Error envelopes differ by API generation: v1 answers `{code, message}`, v3 adds `request_id`.
 * v1 errors are therefore rendered here; v3 errors are thrown to the server, which renders them
 * with `errorBody` and its own request id.
 */
import { dispatch, fail, type Route } from '../module-kit.js';
import type { EmuRequest, EmuResponse, ServiceContext, ServiceModule } from '../types.js';
import { EmuError } from '../types.js';
import { E } from './common.js';
import { insertAclRules, listAcls, removeAclRules, showAcl } from './network-acls.js';
import { createRule, deleteRule, listRules, showRule } from './security-group-rules.js';
import { listSubnets, listVpcs, showSubnet, showVpc } from './vpcs.js';

export {
  VPC_ACL_RULE_NAME_MAX_LENGTH,
  VPC_DESCRIPTION_MAX_LENGTH,
  VPC_LIST_MAX_LIMIT,
  VPC_MAX_PORT_GROUPS,
  VPC_SECURITY_GROUP_RULE_QUOTA,
} from './common.js';

/* ------------------------------------------------------------------ routing */

const ID = '([^/]+)';
const V3 = '^/v3/([^/]+)/vpc';
const V1 = '^/v1/([^/]+)';

const ROUTES: Route[] = [
  { method: 'POST', pattern: new RegExp(`${V3}/security-group-rules$`), handler: createRule },
  { method: 'GET', pattern: new RegExp(`${V3}/security-group-rules$`), handler: listRules },
  { method: 'GET', pattern: new RegExp(`${V3}/security-group-rules/${ID}$`), handler: showRule },
  { method: 'DELETE', pattern: new RegExp(`${V3}/security-group-rules/${ID}$`), handler: deleteRule },
  { method: 'GET', pattern: new RegExp(`${V3}/firewalls$`), handler: listAcls },
  { method: 'GET', pattern: new RegExp(`${V3}/firewalls/${ID}$`), handler: showAcl },
  { method: 'PUT', pattern: new RegExp(`${V3}/firewalls/${ID}/insert-rules$`), handler: insertAclRules },
  { method: 'PUT', pattern: new RegExp(`${V3}/firewalls/${ID}/remove-rules$`), handler: removeAclRules },
  { method: 'GET', pattern: new RegExp(`${V1}/subnets$`), handler: listSubnets },
  { method: 'GET', pattern: new RegExp(`${V1}/subnets/${ID}$`), handler: showSubnet },
  { method: 'GET', pattern: new RegExp(`${V1}/vpcs$`), handler: listVpcs },
  { method: 'GET', pattern: new RegExp(`${V1}/vpcs/${ID}$`), handler: showVpc },
];

const V3_PATH = /^\/v3\/[^/]+\/vpc(\/|$)/;
const V1_PATH = /^\/v1\/[^/]+\/(vpcs|subnets|security-groups|security-group-rules)(\/|$)/;

function route(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  return dispatch(ROUTES, req, ctx, {
    projectMismatch: () => fail(400, E.projectMismatch, 'urlTenantId is not equal tokenTenantId'),
    unknownRoute: () => fail(404, E.unknownApi, `The API ${req.method} ${req.path} does not exist.`),
  });
}

export function createVpcModule(): ServiceModule {
  return {
    name: 'vpc',
    invalidBodyCode: E.parameter,
    matches: (_method, path) => V3_PATH.test(path) || V1_PATH.test(path),
    errorBody: (code, message, reqId) => ({ request_id: reqId, code, message }),
    handle(req, ctx) {
      if (!V1_PATH.test(req.path)) return route(req, ctx);
      try {
        return route(req, ctx);
      } catch (error) {
        // v1 APIs answer the plain `{code, message}` envelope (vpc-error.example.json).
        if (error instanceof EmuError)
          return { status: error.status, body: { code: error.code, message: error.message } };
        throw error;
      }
    },
  };
}
