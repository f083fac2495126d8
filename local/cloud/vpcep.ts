/**
 * The VPCEP module of the emulator lives in ./vpcep/ (constants, parsing, views, models with their
 * state machines, one handler file per resource, routes); this path keeps its public names importable.
 */
export {
  createVpcepModule,
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
} from './vpcep/index.js';
