/**
 * VPCEP's admin calls: a test forces an endpoint or endpoint-service state (rejected, failed, …),
 * dropping its pending transitions. Registered with the core as WorldHooks, with the records whose
 * scheduled transitions the core keeps a clock wake-up for.
 */
import { isRecord } from '../gateway/http.js';
import { EmulatorError } from '../gateway/types.js';
import type { AdminContext, AdminReply, WorldHooks } from '../module-kit.js';
import type { EndpointStatus, ServiceStatus } from '../types.js';

const ENDPOINT_STATUSES: ReadonlySet<string> = new Set<EndpointStatus>([
  'creating',
  'pendingAcceptance',
  'accepted',
  'rejected',
  'failed',
  'deleting',
]);
const SERVICE_STATUSES: ReadonlySet<string> = new Set<ServiceStatus>([
  'creating',
  'available',
  'failed',
  'deleting',
]);

function statusOf(input: unknown): string {
  if (!isRecord(input) || typeof input.status !== 'string')
    throw new EmulatorError('state: expected {status}');
  return input.status;
}

/** Admin `POST /_emulator/endpoints/{id}/state`: `{status, errorCode?, errorMessage?}`. */
function forceEndpointState(ctx: AdminContext, id: string, input: unknown): AdminReply {
  const status = statusOf(input);
  ctx.settle();
  if (!ENDPOINT_STATUSES.has(status)) throw new EmulatorError(`unknown endpoint status ${status}`);
  const endpoint = ctx.world.endpoints.find((e) => e.id === id);
  if (!endpoint) return { status: 404, body: { error: `no endpoint ${id}` } };
  endpoint.status = status as EndpointStatus;
  endpoint.transitions = [];
  endpoint.updatedAt = new Date(ctx.clock.now()).toISOString();
  if (
    (status === 'failed' || status === 'rejected') &&
    isRecord(input) &&
    typeof input.errorCode === 'string'
  ) {
    endpoint.errors = [{ error_code: input.errorCode, error_message: String(input.errorMessage ?? '') }];
  }
  ctx.settle();
  return { status: 200, body: endpoint };
}

/** Admin `POST /_emulator/endpoint-services/{id}/state`: `{status}`. */
function forceServiceState(ctx: AdminContext, id: string, input: unknown): AdminReply {
  const status = statusOf(input);
  ctx.settle();
  if (!SERVICE_STATUSES.has(status)) throw new EmulatorError(`unknown endpoint service status ${status}`);
  const service = ctx.world.endpointServices.find((s) => s.id === id);
  if (!service) return { status: 404, body: { error: `no endpoint service ${id}` } };
  service.status = status as ServiceStatus;
  service.transitions = [];
  service.updatedAt = new Date(ctx.clock.now()).toISOString();
  ctx.settle();
  return { status: 200, body: service };
}

export const vpcepWorldHooks: WorldHooks = {
  name: 'vpcep',
  admin: [
    {
      method: 'POST',
      pattern: /^endpoints\/([^/]+)\/state$/,
      handle: (ctx, { match, body }) => forceEndpointState(ctx, match[1] ?? '', body()),
    },
    {
      method: 'POST',
      pattern: /^endpoint-services\/([^/]+)\/state$/,
      handle: (ctx, { match, body }) => forceServiceState(ctx, match[1] ?? '', body()),
    },
  ],
  scheduled: (world) => [...world.endpointServices, ...world.endpoints],
};
