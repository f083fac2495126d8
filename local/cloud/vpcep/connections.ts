/**
 * Connection handlers of an endpoint service: list, accept, reject.
 */
import { fail } from '../module-kit.js';
import type { EndpointStatus } from '../types.js';
import { E } from './constants.js';
import { ownService } from './models.js';
import { bodyObject, type Handler, paging, sortRecords } from './parse.js';
import { renderConnection, timestamp } from './views.js';

export const listConnections: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const { limit, offset } = paging(req, 'connections');
  const endpointId = req.query.get('id');
  const markerId = req.query.get('marker_id');
  const status = req.query.get('status');
  const matching = ctx.world.endpoints.filter(
    (e) =>
      e.endpointServiceId === service.id &&
      (!endpointId || e.id === endpointId) &&
      (!markerId || String(e.markerId) === markerId) &&
      (!status || e.status === status),
  );
  const page = sortRecords(req, matching).slice(offset, offset + limit);
  return { status: 200, body: { connections: page.map(renderConnection), total_count: matching.length } };
};

export const connectionsAction: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const body = bodyObject(req);
  const action = body.action;
  if (action !== 'receive' && action !== 'reject')
    fail(400, E.parameter, 'Parameter error: action must be receive or reject.');
  const ids = body.endpoints;
  if (!Array.isArray(ids) || ids.length === 0)
    fail(400, E.parameter, 'Parameter error: endpoints is required.');
  if (ids.length !== 1)
    fail(400, E.onePerCall, 'Only one VPC endpoint can be accepted or rejected per call.');
  const endpoint = ctx.world.endpoints.find((e) => e.id === ids[0] && e.endpointServiceId === service.id);
  if (!endpoint)
    fail(404, E.endpointNotFound, `The VPC endpoint ${String(ids[0])} is not connected to ${id}.`);
  if (endpoint.status === 'creating')
    fail(400, E.endpointCreating, `The VPC endpoint ${endpoint.id} is being created.`);
  if (endpoint.status === 'deleting')
    fail(400, E.endpointDeleting, `The VPC endpoint ${endpoint.id} is being deleted.`);
  // Accepting an accepted (or rejecting a rejected) endpoint is a no-op that still answers 200.
  const target: EndpointStatus = action === 'receive' ? 'accepted' : 'rejected';
  const allowedFrom: EndpointStatus[] =
    action === 'receive' ? ['pendingAcceptance', 'rejected'] : ['pendingAcceptance', 'accepted'];
  if (endpoint.status !== target) {
    if (!allowedFrom.includes(endpoint.status)) {
      fail(400, E.parameter, `Parameter error: a ${endpoint.status} VPC endpoint cannot be ${action}d.`);
    }
    endpoint.status = target;
    endpoint.transitions = [];
    endpoint.updatedAt = timestamp(ctx.clock.now());
  }
  return { status: 200, body: { connections: [renderConnection(endpoint)] } };
};
