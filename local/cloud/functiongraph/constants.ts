/**
 * Limits, error codes and name rules of the emulated FunctionGraph API (reference §1.4, API
 * reference "Error Codes" and "Creating a Trigger", GSDK functiongraph/v2 models).
 */

/** Inline code: 50 MB (reference §1.4). */
export const MAX_INLINE_ZIP_BYTES = 50 * 1024 * 1024;
/** All user data together (reference §1.4). */
export const MAX_USER_DATA_CHARS = 4096;
export const MAX_TRIGGERS_PER_FUNCTION = 10;
export const LIST_MAX_ITEMS = 400;

/** Documented FSS codes (API reference "Error Codes"). */
export const E = {
  invalid: 'FSS.0400',
  notFound: 'FSS.0404',
  notAcceptable: 'FSS.0406',
  exists: 'FSS.0409',
  tooLarge: 'FSS.0413',
  unavailable: 'FSS.0503',
  invalidQuery: 'FSS.1001',
  invalidName: 'FSS.1002',
  invalidHandler: 'FSS.1003',
  invalidPackage: 'FSS.1004',
  invalidRuntime: 'FSS.1005',
  invalidCodeType: 'FSS.1006',
  invalidMemory: 'FSS.1007',
  invalidTimeout: 'FSS.1008',
  invalidUserData: 'FSS.1009',
} as const;

export const FUNC_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;
export const PACKAGE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const AGENCY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const NODE_HANDLER = /^[\w./-]+\.[A-Za-z_$][\w$]*$/;
export const USER_DATA_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
// The Node.js runtimes of the international site plus 22.18 (Chinese site), and the other languages
// by shape. `nodejs20.x` (the AWS spelling) is refused, which is the mistake worth catching.
export const RUNTIME =
  /^(Node\.js(6\.10|8\.10|10\.16|12\.13|14\.18|16\.17|18\.15|20\.15|22\.18)|Python\d\.\d+|Java\d+|Go1\.x|PHP\d\.\d|C#\(\.NET Core \d\.\d\)|Custom|http|Cangjie\d\.\d\.\d)$/;
export const TRIGGER_TYPES: ReadonlySet<string> = new Set([
  'TIMER',
  'APIG',
  'CTS',
  'DDS',
  'DMS',
  'DIS',
  'LTS',
  'OBS',
  'SMN',
  'KAFKA',
  'RABBITMQ',
  'DEDICATEDGATEWAY',
  'OPENSOURCEKAFKA',
  'APIC',
  'GAUSSMONGO',
  'EVENTGRID',
]);
/** Only these can be DISABLED (API reference, "Creating a Trigger"). */
export const DISABLEABLE: ReadonlySet<string> = new Set([
  'TIMER',
  'DDS',
  'DMS',
  'KAFKA',
  'LTS',
  'OPENSOURCEKAFKA',
  'RABBITMQ',
]);
/** Created DISABLED unless a status is given (Terraform docs). */
export const DISABLED_BY_DEFAULT: ReadonlySet<string> = new Set(['DDS', 'KAFKA']);
export const DESTINATIONS: ReadonlySet<string> = new Set(['OBS', 'SMN', 'DIS', 'FunctionGraph']);

export const PREFIX = /^\/v2\/([^/]+)\/fgs\/(functions|triggers)(\/.*)?$/;
export const URN = /^urn:fss:([^:]+):([^:]+):function:([^:]+):([^:]+)(?::([^:]+))?$/;
