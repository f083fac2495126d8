/**
 * Tag actions, project tags and query-by-tag (resource_instances) of services and endpoints.
 */
import { fail, isObject } from '../module-kit.js';
import {
  addTags,
  matchesTagQuery,
  parseTagFilters,
  parseTags,
  projectTagValues,
  removeTags,
  type Tag,
} from '../tags.js';
import type { World } from '../types.js';
import { E, VPCEP_TAG_FILTER_RULES, VPCEP_TAG_QUERY_MAX_LIMIT, VPCEP_TAG_RULES } from './constants.js';
import { bodyObject, type Handler, parseCount } from './parse.js';

type ResourceType = 'endpoint_service' | 'endpoint';

/** A taggable resource: `record.tags` is the live list, replaced on tag actions. */
interface TaggedView {
  id: string;
  name: string;
  record: { tags: Tag[] };
}

function taggedResources(world: World, type: ResourceType, projectId: string): TaggedView[] {
  if (type === 'endpoint_service') {
    return world.endpointServices
      .filter((s) => s.projectId === projectId)
      .map((s) => ({ id: s.id, name: s.serviceName, record: s }));
  }
  // Endpoints have no name of their own; their resource_name is the service they connect to.
  return world.endpoints
    .filter((e) => e.projectId === projectId)
    .map((e) => ({ id: e.id, name: e.endpointServiceName, record: e }));
}

function resourceType(raw: string): ResourceType {
  return raw === 'endpoint_service' ? 'endpoint_service' : 'endpoint';
}

export const tagsAction: Handler = (req, ctx, { projectId, id, subId }) => {
  const type = resourceType(id);
  const resource = taggedResources(ctx.world, type, projectId).find((r) => r.id === subId);
  if (!resource) {
    if (type === 'endpoint') fail(404, E.endpointNotFound, `The VPC endpoint ${subId} does not exist.`);
    fail(404, E.notFound, `The VPC endpoint service ${subId} does not exist.`);
  }
  const body = bodyObject(req);
  if (body.action === 'create') {
    const tags = parseTags(VPCEP_TAG_RULES, body.tags, { allowEmpty: false });
    resource.record.tags = addTags(VPCEP_TAG_RULES, resource.record.tags, tags, 'resource');
  } else if (body.action === 'delete') {
    resource.record.tags = removeTags(
      resource.record.tags,
      parseTags(VPCEP_TAG_RULES, body.tags, { allowEmpty: false, keyOnly: true }),
    );
  } else {
    fail(400, E.parameter, 'Parameter error: action must be create or delete.');
  }
  return { status: 204 };
};

export const projectTags: Handler = (_req, ctx, { projectId, id }) => ({
  status: 200,
  body: {
    tags: projectTagValues(taggedResources(ctx.world, resourceType(id), projectId).map((r) => r.record.tags)),
  },
});

export const queryByTags: Handler = (req, ctx, { projectId, id }) => {
  const body = bodyObject(req);
  const action = body.action;
  if (action !== 'filter' && action !== 'count')
    fail(400, E.parameter, 'Parameter error: action must be filter or count.');
  const filters = (raw: unknown, field: string) =>
    parseTagFilters(VPCEP_TAG_RULES, VPCEP_TAG_FILTER_RULES, raw, field);
  const query = {
    tags: filters(body.tags, 'tags'),
    tagsAny: filters(body.tags_any, 'tags_any'),
    notTags: filters(body.not_tags, 'not_tags'),
    notTagsAny: filters(body.not_tags_any, 'not_tags_any'),
  };
  const matchesRaw = body.matches ?? [];
  if (!Array.isArray(matchesRaw)) fail(400, E.parameter, 'Parameter error: matches must be a list.');
  const nameMatches = matchesRaw.map((m) => {
    if (!isObject(m) || m.key !== 'resource_name' || typeof m.value !== 'string') {
      fail(400, E.parameter, 'Parameter error: matches supports only {key: "resource_name", value}.');
    }
    return m.value.toLowerCase();
  });
  const limit = parseCount(
    body.limit,
    VPCEP_TAG_QUERY_MAX_LIMIT,
    VPCEP_TAG_QUERY_MAX_LIMIT,
    E.invalidLimit,
    'limit',
    1,
  );
  const offset = parseCount(body.offset, 0, Number.MAX_SAFE_INTEGER, E.invalidOffset, 'offset');

  const selected = taggedResources(ctx.world, resourceType(id), projectId).filter((r) => {
    // tags: AND across keys, OR across the values of one key; tags_any: OR across keys.
    if (!matchesTagQuery(r.record.tags, query)) return false;
    return nameMatches.every((n) => r.name.toLowerCase().includes(n));
  });
  if (action === 'count') return { status: 200, body: { total_count: selected.length } };
  return {
    status: 200,
    body: {
      resources: selected.slice(offset, offset + limit).map((r) => ({
        resource_detail: null,
        resource_id: r.id,
        resource_name: r.name,
        tags: r.record.tags.map((t) => ({ ...t })),
      })),
      total_count: selected.length,
    },
  };
};
