/**
 * Quota handler.
 */
import { fail } from '../module-kit.js';
import { E } from './constants.js';
import type { Handler } from './parse.js';

export const showQuotas: Handler = (req, ctx, { projectId }) => {
  const { world } = ctx;
  const type = req.query.get('type');
  if (type && type !== 'endpoint_service' && type !== 'endpoint') {
    fail(400, E.parameter, 'Parameter error: type must be endpoint_service or endpoint.');
  }
  const resources = [
    {
      type: 'endpoint_service',
      used: world.endpointServices.filter((s) => s.projectId === projectId).length,
      quota: world.quotas.endpointService,
    },
    {
      type: 'endpoint',
      used: world.endpoints.filter((e) => e.projectId === projectId).length,
      quota: world.quotas.endpoint,
    },
  ].filter((r) => !type || r.type === type);
  return { status: 200, body: { quotas: { resources } } };
};
