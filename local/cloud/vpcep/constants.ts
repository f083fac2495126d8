/**
 * Timing, limits and error codes of the emulated VPCEP API (reference §B, GSDK vpcep/v1 models).
 */
import type { TagRules } from '../tags.js';

/* ------------------------------------------------------------------ timing and limits */

/** `creating` -> `available` of an endpoint service (documented 1–2 min). */
export const VPCEP_SERVICE_CREATE_DELAY_MS = 60_000;
/** `deleting` -> gone of an endpoint service. */
export const VPCEP_SERVICE_DELETE_DELAY_MS = 60_000;
/** `creating` -> `accepted` / `pendingAcceptance` of an endpoint (documented 1–2 min). */
export const VPCEP_ENDPOINT_CREATE_DELAY_MS = 60_000;
/** `deleting` -> gone of an endpoint (its IP and port are freed then). */
export const VPCEP_ENDPOINT_DELETE_DELAY_MS = 60_000;

export const VPCEP_LIST_DEFAULT_LIMIT = 10;
/**
 * Each list's own `limit` maximum, from its GSDK request model (services/vpcep/v1/model/):
 * services model_list_endpoint_service_request.go, endpoints model_list_endpoints_request.go,
 * connections model_list_service_connections_request.go (0–1000 each); the whitelist
 * model_list_service_permissions_details_request.go (0–500; 501 -> 400 EndPoint.0006).
 */
export const VPCEP_LIST_MAX_LIMITS = {
  services: 1000,
  endpoints: 1000,
  connections: 1000,
  permissions: 500,
} as const;
/** Query-by-tag pages: `limit` 1–1000, default 1000 [GSDK model_query_resource_instance_tags_body.go]. */
export const VPCEP_TAG_QUERY_MAX_LIMIT = 1000;

/**
 * The strictest documented tag limits: 10 tags per resource (Huawei's "Batch Adding or Deleting Tags"
 * page, BatchAddOrRemoveResourceInstance; OTC and the GSDK create-service model say 20), key ≤36,
 * value ≤43, `[A-Za-z0-9_@-]` (OTC).
 */
export const VPCEP_TAG_LIMITS = { maxTags: 10, keyMaxLength: 36, valueMaxLength: 43 } as const;
/**
 * resource_instances filters: at most 10 keys per list, 10 values per key, no repeated key or value
 * [GSDK services/vpcep/v1/model/model_query_resource_instance_tags_body.go].
 */
export const VPCEP_TAG_FILTER_LIMITS = { maxKeys: 10, maxValues: 10 } as const;
export const VPCEP_SERVICE_NAME_MAX_LENGTH = 16;
export const VPCEP_DESCRIPTION_MAX_LENGTH = 128;
export const VPCEP_MAX_PORT_MAPPINGS = 200;
/** Whitelist records per service before `EndPoint.3049`. */
export const VPCEP_MAX_PERMISSIONS = 1000;

/** Where the NIC of an endpoint is recorded as attached to (Port.deviceOwner). */
export const VPCEP_ENDPOINT_DEVICE_OWNER = 'network:vpcep-endpoint';

/* ------------------------------------------------------------------ error codes (§B.7) */

export const E = {
  parameter: 'EndPoint.0002',
  notFound: 'EndPoint.0005',
  invalidLimit: 'EndPoint.0006',
  invalidOffset: 'EndPoint.0010',
  projectMismatch: 'EndPoint.0014',
  invalidSortKey: 'EndPoint.0017',
  invalidSortDir: 'EndPoint.0018',
  quota: 'Endpoint.1018', // sic: lowercase "p" as documented
  vpcNotFound: 'EndPoint.2001',
  serviceNotFound: 'EndPoint.2003',
  serviceUnavailable: 'EndPoint.2004',
  endpointNotFound: 'EndPoint.2006',
  noPermission: 'EndPoint.2012',
  endpointDeleting: 'EndPoint.2018',
  endpointCreating: 'EndPoint.2019',
  onePerCall: 'EndPoint.2031',
  subnetNotInVpc: 'EndPoint.2037',
  portIpInvalid: 'EndPoint.2041',
  portIpInUse: 'EndPoint.2042',
  portIpOutsideSubnet: 'EndPoint.2043',
  invalidPermission: 'EndPoint.3002',
  serviceInUse: 'EndPoint.3006',
  ipNotAllowed: 'EndPoint.3011',
  invalidServerType: 'EndPoint.3021',
  emptyPermissions: 'EndPoint.3036',
  portNotInVpc: 'EndPoint.3042',
  portConflict: 'EndPoint.3044',
  whitelistFull: 'EndPoint.3049',
  tagEmpty: 'EndPoint.3066',
  tagDuplicateKey: 'EndPoint.3067',
  tagCharset: 'EndPoint.3068',
  tagTooMany: 'EndPoint.3069',
  tagKeyLength: 'EndPoint.3072',
  tagValueLength: 'EndPoint.3073',
  invalidServiceName: 'EndPoint.3076',
  subnetNotFound: 'EndPoint.4004',
  unknownApi: 'APIGW.0101',
} as const;

/** VPCEP's parameters of the shared tag engine (../tags.ts): its limits, charset and codes. */
export const VPCEP_TAG_RULES: TagRules = {
  ...VPCEP_TAG_LIMITS,
  charset: /^[A-Za-z0-9_@-]*$/,
  // A create item without value is the empty value (resource tag values may be empty strings,
  // GSDK services/vpcep/v1/model/model_tag_list.go).
  valueRequired: false,
  codes: {
    notAList: E.parameter,
    empty: E.tagEmpty,
    duplicate: E.tagDuplicateKey,
    charset: E.tagCharset,
    tooMany: E.tagTooMany,
    keyLength: E.tagKeyLength,
    valueLength: E.tagValueLength,
  },
};
export const VPCEP_TAG_FILTER_RULES = { ...VPCEP_TAG_FILTER_LIMITS, parameterCode: E.parameter };

/**
 * Reported in `error[]` of an endpoint or connection forced to `failed` without its own error list.
 * Endpoint items are `{error_code, error_message}` (GSDK vpcep/v1 model_query_error.go, used by
 * model_endpoint_response_body.go and model_connection_endpoints.go).
 */
export const DEFAULT_ENDPOINT_FAILURE = {
  error_code: 'EndPoint.0001',
  error_message: 'Failed to create the VPC endpoint.',
};
/** A service's items are `{code, message}` instead (GSDK model_error.go, used by model_service_list.go). */
export const DEFAULT_SERVICE_FAILURE = {
  code: 'EndPoint.0001',
  message: 'Failed to create the VPC endpoint service.',
};
