/**
 * Whitelist (permissions) handlers of an endpoint service.
 */
import { fail } from '../module-kit.js';
import { E, VPCEP_MAX_PERMISSIONS } from './constants.js';
import { ownService } from './models.js';
import { bodyObject, type Handler, paging, sortRecords } from './parse.js';
import { timestamp } from './views.js';

const PERMISSION = /^iam:domain::[A-Za-z0-9]{1,50}$/;
const ORG_PERMISSION = /^organizations:orgPath::[A-Za-z0-9/_*-]{1,60}$/;

export const permissionsAction: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const body = bodyObject(req);
  const action = body.action;
  if (action !== 'add' && action !== 'remove')
    fail(400, E.parameter, 'Parameter error: action must be add or remove.');
  const permissionType = body.permission_type ?? 'domainId';
  if (permissionType !== 'domainId' && permissionType !== 'orgPath') {
    fail(400, E.parameter, 'Parameter error: permission_type must be domainId or orgPath.');
  }
  const raw = body.permissions;
  if (!Array.isArray(raw) || raw.length === 0)
    fail(400, E.emptyPermissions, 'The permissions cannot be empty.');
  const pattern = permissionType === 'orgPath' ? ORG_PERMISSION : PERMISSION;
  const permissions = raw.map((p) => {
    if (typeof p !== 'string' || p.length > 64 || (p !== '*' && !pattern.test(p))) {
      fail(400, E.invalidPermission, `Invalid permission: ${String(p)}.`);
    }
    return p;
  });
  const now = ctx.clock.now();
  if (action === 'add') {
    for (const permission of permissions) {
      if (service.permissions.some((p) => p.permission === permission)) continue;
      if (service.permissions.length >= VPCEP_MAX_PERMISSIONS) {
        fail(400, E.whitelistFull, `The whitelist of ${id} already has ${VPCEP_MAX_PERMISSIONS} records.`);
      }
      service.permissions.push({ id: ctx.newId(), permission, createdAt: timestamp(now) });
    }
  } else {
    service.permissions = service.permissions.filter((p) => !permissions.includes(p.permission));
  }
  service.updatedAt = timestamp(now);
  return { status: 200, body: { permissions: service.permissions.map((p) => p.permission) } };
};

export const listPermissions: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const { limit, offset } = paging(req, 'permissions');
  const filter = req.query.get('permission')?.toLowerCase();
  const matching = service.permissions.filter((p) => !filter || p.permission.toLowerCase().includes(filter));
  const sorted = sortRecords(
    req,
    matching.map((p) => ({ ...p, updatedAt: p.createdAt })),
  );
  return {
    status: 200,
    body: {
      permissions: sorted.slice(offset, offset + limit).map((p) => ({
        id: p.id,
        permission: p.permission,
        permission_type: p.permission.startsWith('organizations:') ? 'orgPath' : 'domainId',
        description: '',
        created_at: p.createdAt,
      })),
      total_count: matching.length,
    },
  };
};
