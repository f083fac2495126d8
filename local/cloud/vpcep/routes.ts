/**
 * Routes of the VPCEP API. Order matters: fixed segments before `{id}`.
 */
import type { Route } from '../module-kit.js';
import { connectionsAction, listConnections } from './connections.js';
import { createEndpoint, deleteEndpoint, listEndpoints, showEndpoint } from './endpoints.js';
import { listPermissions, permissionsAction } from './permissions.js';
import { showQuotas } from './quotas.js';
import {
  createService,
  deleteService,
  describeService,
  listServices,
  showService,
  updateService,
} from './services.js';
import { projectTags, queryByTags, tagsAction } from './tags.js';

const ID = '([^/]+)';
const P = '^/v1/([^/]+)';

// Order matters: fixed segments (`describe`, `resource_instances`, `tags`) before `{id}`.
export const ROUTES: Route[] = [
  { method: 'POST', pattern: new RegExp(`${P}/vpc-endpoint-services$`), handler: createService },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoint-services$`), handler: listServices },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoint-services/describe$`), handler: describeService },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}$`), handler: showService },
  { method: 'PUT', pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}$`), handler: updateService },
  { method: 'DELETE', pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}$`), handler: deleteService },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/permissions/action$`),
    handler: permissionsAction,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/permissions$`),
    handler: listPermissions,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/connections$`),
    handler: listConnections,
  },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/connections/action$`),
    handler: connectionsAction,
  },
  { method: 'POST', pattern: new RegExp(`${P}/vpc-endpoints$`), handler: createEndpoint },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoints$`), handler: listEndpoints },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoints/${ID}$`), handler: showEndpoint },
  { method: 'DELETE', pattern: new RegExp(`${P}/vpc-endpoints/${ID}$`), handler: deleteEndpoint },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/(endpoint_service|endpoint)/resource_instances/action$`),
    handler: queryByTags,
  },
  { method: 'GET', pattern: new RegExp(`${P}/(endpoint_service|endpoint)/tags$`), handler: projectTags },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/(endpoint_service|endpoint)/${ID}/tags/action$`),
    handler: tagsAction,
  },
  { method: 'GET', pattern: new RegExp(`${P}/quotas$`), handler: showQuotas },
];

export const SERVICE_PATH =
  /^\/v1\/[^/]+\/(vpc-endpoint-services|vpc-endpoints|endpoint_service|endpoint|quotas)(\/|$)/;
