/**
 * What the FunctionGraph API answers: a function's configuration and code, a trigger, an
 * async-invoke configuration (field names of the GSDK functiongraph/v2 response models).
 */
import type { JsonObject } from '../module-kit.js';
import type { AsyncInvokeConfigRecord, DeployedFunction, DeployedTrigger } from './models.js';

export function configView(fn: DeployedFunction) {
  return {
    func_id: fn.funcId,
    resource_id: fn.funcId,
    func_urn: fn.funcUrn,
    func_name: fn.funcName,
    domain_id: fn.domainId,
    namespace: fn.projectId,
    project_name: '',
    package: fn.package,
    runtime: fn.runtime,
    timeout: fn.timeout,
    handler: fn.handler,
    memory_size: fn.memorySize,
    cpu: Math.max(300, Math.round((fn.memorySize / 128) * 100)),
    code_type: fn.codeType,
    code_url: '',
    code_filename: fn.codeFilename,
    code_size: fn.codeSize,
    user_data: fn.userData,
    encrypted_user_data: '',
    digest: fn.digest,
    version: 'latest',
    image_name: 'latest',
    xrole: fn.xrole,
    app_xrole: fn.appXrole,
    description: fn.description,
    ...(fn.funcVpc ? { func_vpc: { vpc_id: fn.funcVpc.vpcId, subnet_id: fn.funcVpc.subnetId } } : {}),
    last_modified: fn.lastModified,
    type: 'v2',
    enterprise_project_id: '0',
  };
}

export function triggerView(trigger: DeployedTrigger) {
  return {
    trigger_id: trigger.triggerId,
    trigger_type_code: trigger.triggerTypeCode,
    trigger_status: trigger.triggerStatus,
    event_data: trigger.eventData,
    last_updated_time: trigger.lastUpdatedTime,
    created_time: trigger.createdTime,
  };
}

export function asyncConfigView(config: AsyncInvokeConfigRecord) {
  const destinations: JsonObject = {};
  if (config.onSuccess) destinations.on_success = config.onSuccess;
  if (config.onFailure) destinations.on_failure = config.onFailure;
  return {
    func_urn: config.funcUrn,
    max_async_event_age_in_seconds: config.maxAsyncEventAgeInSeconds,
    max_async_retry_attempts: config.maxAsyncRetryAttempts,
    destination_config: destinations,
    enable_async_status_log: config.enableAsyncStatusLog,
    created_time: config.createdTime,
    last_modified: config.lastModified,
  };
}

export function codeView(fn: DeployedFunction) {
  return {
    func_urn: fn.funcUrn,
    func_name: fn.funcName,
    domain_id: fn.domainId,
    runtime: fn.runtime,
    code_type: fn.codeType,
    code_url: '',
    code_filename: fn.codeFilename,
    code_size: fn.codeSize,
    digest: fn.digest,
    last_modified: fn.lastModified,
    func_code: { file: fn.code, link: '' },
    depend_list: [],
    depend_version_list: [],
  };
}
