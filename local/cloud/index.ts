/**
 * The local Huawei Cloud emulator: public surface for the CLI, the local runtime, tests and benchmarks.
 */
export { type ClockOptions, createClock } from './clock.js';
export {
  DataPlane,
  DataPlaneError,
  type DataPlaneOptions,
  dataPlaneNetworks,
  type KafkaConnection,
  VERIFY_TOPIC,
} from './data-plane.js';
export { createDmsModule } from './dms.js';
export { createFunctionGraphModule } from './functiongraph.js';
export { createIamModule, issueTemporaryCredentials, issueToken } from './iam.js';
export {
  type ActiveFault,
  defaultServiceModules,
  Emulator,
  type EmulatorConfig,
  EmulatorError,
  type EmulatorHandle,
  type EmulatorOptions,
  type FaultKind,
  type FaultSpec,
  type FunctionHost,
  kafkaCreatedTrace,
  type RequestLogEntry,
  startEmulator,
  type ThrottleConfig,
} from './server.js';
export { createSmnModule, smnTriggerEvent } from './smn.js';
export type * from './types.js';
export { EmuError } from './types.js';
export { createVpcModule } from './vpc.js';
export { createVpcepModule } from './vpcep.js';
export {
  addKafkaInstance,
  addSecurityGroup,
  addVpc,
  allocateIp,
  applyDueTransitions,
  createIdFactory,
  createPort,
  createWorld,
  DEFAULT_REGION,
  type IdFactory,
  type SeedIds,
  seedDefaultWorld,
  TOPIC_NAMES,
} from './world.js';
