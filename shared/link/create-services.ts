/**
 * Step 1–3 of a link: validate the request against the instance and the client network, record the
 * desired state on the instance, find-or-create one endpoint service per listener port, whitelist
 * the client account, and wait (briefly) for the services to become available.
 */
import { continuingWork } from '../cloud/continuing.js';
import {
  CloudApiError,
  NotFoundError,
  PortAlreadyServedError,
  QUOTA_EXCEEDED_CODE,
} from '../cloud/errors.js';
import type { Endpoint, EndpointService, KafkaInstance, KafkaListener, Tag } from '../cloud/types.js';
import {
  agencyError,
  type ClientSide,
  clientAccountTags,
  clientSide,
  requireAgencyForOtherAccount,
} from './client-account.js';
import { type Budget, creationWindow, type LinkDepsFor, pollUntil } from './deps.js';
import {
  desiredLinkOf,
  desiredTags,
  type LinkRequest,
  originalAdvertisedTags,
  sameClient,
} from './desired.js';
import { LinkNotReadyError, LinkRejectedError } from './errors.js';
import { requireListeners, runningInstance } from './instance.js';
import {
  type LinkInventory,
  listNarrowed,
  namedLike,
  preferredService,
  readInventory,
  serviceNameFor,
} from './inventory.js';
import type { ServiceRef } from './mapping.js';
import { handOverToTimer } from './phase.js';
import { checkQuotas } from './quotas.js';
import { STEP_CREATE_SERVICES } from './steps.js';
import { createdAtOf, phaseOf, resourceTags, TAG, TAG_PREFIX, tagValue } from './tags.js';
import { cidrsOverlap, KAFKA_CROSS_VPC_PORT, VPCEP_SERVICE_CIDR } from './vpcep-network.js';

/** The cloud operations this step calls: its function binds exactly these (LinkDepsFor). */
export type CreateServicesDeps = LinkDepsFor<{
  dms: 'showInstance' | 'createInstanceTags';
  vpcep:
    | 'createEndpointService'
    | 'listEndpointServices'
    | 'addServicePermissions'
    | 'listServicePermissions'
    | 'listEndpoints'
    | 'createResourceTags'
    | 'getQuotas';
  vpc: 'getSubnet';
}>;

export interface PlannedAction {
  action: string;
  target: string;
  detail?: string;
}

export interface CreateServicesResult {
  instance: KafkaInstance;
  services: ServiceRef[];
  /** True when every service is `available` (buy-endpoints can start). */
  ready: boolean;
  /** What was (or, in a dry run, would be) written. */
  actions: PlannedAction[];
  /**
   * Every endpoint of these services in the client VPC as this run knows them: listed, or none
   * because this run created every service. Only an in-process caller (drive.ts) may use it.
   */
  endpoints?: Endpoint[];
}

export interface CreateServicesOptions {
  /** Id of the link request event: recorded on the services so timer-driven events carry it. */
  correlationId?: string;
  /** Told what the step is waiting for (the CLI prints it). */
  onWaiting?: (detail: string) => void;
}

export async function createServices(
  deps: CreateServicesDeps,
  request: LinkRequest,
  budget: Budget,
  options: CreateServicesOptions = {},
): Promise<CreateServicesResult> {
  try {
    return await createServicesOnce(deps, request, budget, options, true);
  } catch (error) {
    // A create met a service still being deleted on its port (an unlink just before): run again,
    // listing first this time, which waits for it to go. The desired state is on the instance by
    // now, so the second run lists whatever the first decided.
    if (!(error instanceof PortStillDeletingError)) throw error;
    return createServicesOnce(deps, request, budget, options, false);
  }
}

/** A port still held by a service being deleted: never adopted, the port is free once it is gone. */
class PortStillDeletingError extends LinkNotReadyError {}

async function createServicesOnce(
  deps: CreateServicesDeps,
  request: LinkRequest,
  budget: Budget,
  options: CreateServicesOptions,
  mayCreateFirst: boolean,
): Promise<CreateServicesResult> {
  const step = STEP_CREATE_SERVICES;
  const { correlationId } = options;
  const dryRun = request.options?.dryRun === true;
  const instance = await runningInstance(deps, request.instanceId, step, budget);
  requireListeners(instance, step);
  refuseOwnVpc(instance, request);
  refuseOtherClient(instance, request);
  // The client's account, its VPC/subnet and its endpoint quota are all checked with its own
  // credentials (the agency's, for another account) before anything is written.
  await requireAgencyForOtherAccount(deps, request.client, step);
  const client = await clientSide(deps, request.client, step);
  // The subnet was checked when the instance's tags came to declare this very client: a repeated
  // request does not read it again (a subnet deleted since fails the endpoint create, by name).
  const declared = desiredLinkOf(instance);
  if (!declared || !sameClient(declared.client, request.client)) await checkClientSubnet(client, request);
  // This instance's own services first (by their name stem): one small page however many links the
  // account holds. A port without one may still hold a service made by hand under another name: the
  // create meets it and adopts it (PortAlreadyServedError). Where missing it would change a decision
  // — a dry run's plan, a quota refusal — the whole account is read first.
  const readAll = (byName: boolean) =>
    readInventory(deps, instance, undefined, client.vpcep, { endpointsOnlyWithServices: true, byName });
  // An instance with no tag of ours has never been linked, or its unlink has finished: the desired
  // state is written before any create, and unlink removes our tags last. No service of ours can be
  // live on it, so a first link creates without listing (one call less) and the cloud's refusal of a
  // second service on a port (PortAlreadyServedError) finds anything there: adopted when live, run
  // again with the listing when still being deleted.
  const firstLink = mayCreateFirst && !dryRun && !instance.tags.some((t) => t.key.startsWith(TAG_PREFIX));
  let inventory: LinkInventory = firstLink ? { services: [], endpoints: [] } : await readAll(true);
  let whole = instance.listeners.every((l) => serviceFor(inventory, l));
  if (!whole && dryRun) {
    inventory = await readAll(false);
    whole = true;
  }
  refuseEndpointsElsewhere(inventory, request);

  // A port whose previous service is still `deleting` (an unlink moments ago) cannot get a new one
  // yet (PortAlreadyServedError), and the deleting one must never be adopted: wait for it to go.
  const blocked = portsStillDeleting(inventory, instance.listeners);
  if (blocked.length > 0 && !dryRun) {
    options.onWaiting?.(
      `the previous endpoint service(s) of ${blocked.length} port(s) are still being deleted; waiting for them to go`,
    );
    const gone = await pollUntil(deps, budget, async () => {
      const current = await readAll(whole);
      return portsStillDeleting(current, instance.listeners).length === 0 ? current : undefined;
    });
    if (!gone) return { instance, services: [], ready: false, actions: [] };
    inventory = gone;
  }

  const actions: PlannedAction[] = [];
  const needed = linkNeeds(instance, inventory, request);
  try {
    await checkLinkQuotas(deps, client, needed);
  } catch (error) {
    // Counted from this instance's services only, a port holding a hand-made service looked free:
    // before refusing, count again from the whole account (and read the quotas again only if that
    // changes the count).
    if (whole || !(error instanceof LinkRejectedError && error.code === QUOTA_EXCEEDED_CODE)) throw error;
    inventory = await readAll(false);
    whole = true;
    const after = linkNeeds(instance, inventory, request);
    if (after.endpoint_service === needed.endpoint_service && after.endpoint === needed.endpoint) throw error;
    await checkLinkQuotas(deps, client, after);
  }

  // Desired state first: if anything below fails, the reconcile timer knows what to converge to.
  const tagsToWrite = changedTags(instance.tags, [
    ...desiredTags(request),
    ...(desiredLinkOf(instance) ? [] : originalAdvertisedTags(instance)),
  ]);
  if (tagsToWrite.length > 0) {
    actions.push({
      action: 'tag-instance',
      target: instance.instanceId,
      detail: tagsToWrite.map((t) => t.key).join(','),
    });
    if (!dryRun) await deps.dms.createInstanceTags(instance.instanceId, tagsToWrite);
  }

  const services: EndpointService[] = [];
  let createdAt: number | undefined;
  /** A create met a service already on its port (made by hand, or by a concurrent delivery). */
  let adoptedOnConflict = false;
  for (const listener of instance.listeners) {
    const existing = serviceFor(inventory, listener);
    if (existing) {
      services.push(existing);
      if (tagValue(existing.tags, TAG.instance) !== instance.instanceId) {
        actions.push({ action: 'adopt-service', target: existing.id, detail: listener.listenerIp });
      }
      if (!dryRun) {
        await recordOnService(
          deps,
          existing,
          instance,
          listener,
          correlationId,
          clientAccountTags(request.client),
        );
      }
      // `kvl-request` is rewritten only when the link is handed over to the timer (whose events
      // carry it); a step that finishes the link itself passes the id along in its own events.
      continue;
    }
    actions.push({
      action: 'create-service',
      target: `port ${listener.portId}`,
      detail: listener.listenerIp,
    });
    if (!dryRun) {
      // Once the link has a service, its other creates are work in progress: they go first.
      const made = await continuingWork(services.length > 0, () =>
        createServiceFor(deps, instance, listener, correlationId, clientAccountTags(request.client)),
      );
      services.push(made.service);
      if (made.adopted) adoptedOnConflict = true;
      createdAt = deps.clock.now();
    }
  }

  const permissions = whitelistOf(request);
  // The owner's own account is always allowed: with no other account to allow, nothing to read.
  for (const service of permissions.length > 0 ? services : []) {
    const granted = dryRun ? [] : await deps.vpcep.listServicePermissions(service.id);
    const toAdd = permissions.filter((p) => !granted.includes(p));
    if (toAdd.length === 0) continue;
    actions.push({ action: 'whitelist', target: service.id, detail: toAdd.join(',') });
    if (!dryRun) await deps.vpcep.addServicePermissions(service.id, toAdd);
  }

  if (dryRun) return { instance, services: [], ready: false, actions };

  const ids = new Set(services.map((s) => s.id));
  const byName = namedLike(
    instance.instanceId,
    services.map((s) => s.serviceName),
  );
  // Services found available need no second look (a repeated request finds them so).
  const allAvailable = createdAt === undefined && services.every((s) => s.status === 'available');
  const available = allAvailable
    ? services
    : await pollUntil(
        deps,
        budget,
        async () => {
          const current = (
            await listNarrowed((filter) => deps.vpcep.listEndpointServices(filter), byName, ids, deps.logger)
          ).filter((s) => ids.has(s.id));
          const failed = current.find((s) => s.status === 'failed');
          if (failed) {
            // The cloud's own code and message say why (quota, port conflict…): keep them in the reason.
            const detail = failed.errors?.map((e) => `${e.code}: ${e.message}`).join('; ');
            throw new LinkRejectedError(
              step,
              `endpoint service ${failed.id} failed to create${detail ? ` (${detail})` : ''}`,
              undefined,
              'SERVICE_FAILED',
            );
          }
          return current.length === ids.size && current.every((s) => s.status === 'available')
            ? current
            : undefined;
        },
        // Services this run found still being created (a redelivery) are awaited in their window too.
        creationWindow(
          createdAt ??
            createdAtOf(
              services.filter((s) => s.status !== 'available'),
              deps.clock.now(),
            ),
        ),
      );
  const final = available ?? services;
  const refs = instance.listeners.map((l) => toRef(l, final.find((s) => s.portId === l.portId)!));
  // Not available within the budget: the acceptance timer takes the link over from here (it
  // re-drives links whose services have no endpoints), so it must be able to find it.
  if (!available)
    await handOverToTimer(
      deps,
      refs.map((r) => ({ id: r.serviceId, phase: r.phase })),
      correlationId,
    );
  // The endpoints this run knows of, when it knows all of them: it created every service, or its
  // listing covered each one. A service adopted on a create was not in the listing, nor its endpoints.
  const created = actions.filter((a) => a.action === 'create-service').length;
  const endpoints = adoptedOnConflict
    ? undefined
    : created === services.length
      ? []
      : inventory.endpoints.filter((e) => e.vpcId === request.client.vpcId && ids.has(e.endpointServiceId));
  return {
    instance,
    services: refs,
    ready: available !== undefined,
    actions,
    ...(endpoints ? { endpoints } : {}),
  };
}

function toRef(listener: KafkaListener, service: EndpointService): ServiceRef {
  const phase = phaseOf(service.tags);
  return {
    listenerIp: listener.listenerIp,
    portId: listener.portId,
    serviceId: service.id,
    serviceName: service.serviceName,
    ...(phase ? { phase } : {}),
  };
}

/** Listeners with no live service whose port still carries a service being deleted. */
function portsStillDeleting(inventory: LinkInventory, listeners: readonly KafkaListener[]): KafkaListener[] {
  return listeners.filter(
    (l) =>
      !serviceFor(inventory, l) &&
      inventory.services.some((s) => s.portId === l.portId && s.status === 'deleting'),
  );
}

function serviceFor(inventory: LinkInventory, listener: KafkaListener): EndpointService | undefined {
  return preferredService(
    inventory.services.filter((s) => s.portId === listener.portId && s.status !== 'deleting'),
  );
}

function endpointInClientVpc(
  inventory: LinkInventory,
  listener: KafkaListener,
  request: LinkRequest,
): boolean {
  const service = serviceFor(inventory, listener);
  return inventory.endpoints.some(
    (e) => e.endpointServiceId === service?.id && e.vpcId === request.client.vpcId && e.status !== 'deleting',
  );
}

function tagsFor(
  deps: CreateServicesDeps,
  instance: KafkaInstance,
  listener: KafkaListener,
  requestId?: string,
): Tag[] {
  return resourceTags(instance.instanceId, listener.listenerIp, undefined, deps.clock.now(), requestId);
}

/**
 * Records an existing service as this link's, as the inventory's look and a create's conflict both
 * find one: our tags when it has none (made by hand), so the timer, reconcile and unlink know it; and
 * the client account wherever it differs, whoever made it (a concurrent request for another client
 * may have created it), since unlink and status find the client's endpoints through it.
 */
async function recordOnService(
  deps: CreateServicesDeps,
  service: EndpointService,
  instance: KafkaInstance,
  listener: KafkaListener,
  requestId: string | undefined,
  clientAccount: readonly Tag[],
): Promise<void> {
  const accountTags = clientAccount.filter((t) => tagValue(service.tags, t.key) !== t.value);
  const tags =
    tagValue(service.tags, TAG.instance) === instance.instanceId
      ? accountTags
      : [...tagsFor(deps, instance, listener, requestId), ...accountTags];
  if (tags.length > 0) await deps.vpcep.createResourceTags('endpoint_service', service.id, tags);
}

async function createServiceFor(
  deps: CreateServicesDeps,
  instance: KafkaInstance,
  listener: KafkaListener,
  requestId?: string,
  clientAccount: Tag[] = [],
): Promise<{ service: EndpointService; adopted: boolean }> {
  try {
    const service = await deps.vpcep.createEndpointService({
      portId: listener.portId,
      vpcId: instance.vpcId,
      serverType: 'VM',
      serviceType: 'interface',
      approvalEnabled: false,
      serviceName: serviceNameFor(instance.instanceId, listener.listenerIp),
      tcpProxy: 'close',
      ports: [{ clientPort: KAFKA_CROSS_VPC_PORT, serverPort: KAFKA_CROSS_VPC_PORT, protocol: 'TCP' }],
      description: `kafka-vpcep-link ${instance.instanceId} ${listener.listenerIp}`,
      tags: [...tagsFor(deps, instance, listener, requestId), ...clientAccount],
    });
    return { service, adopted: false };
  } catch (error) {
    // A concurrent delivery created it first (the cloud refuses a second service on the same port):
    // adopt the winner instead of failing.
    if (error instanceof PortAlreadyServedError) {
      const onPort = (await deps.vpcep.listEndpointServices()).filter((s) => s.portId === listener.portId);
      const winner = preferredService(onPort.filter((s) => s.status !== 'deleting'));
      if (winner) {
        await recordOnService(deps, winner, instance, listener, requestId, clientAccount);
        return { service: winner, adopted: true };
      }
      // Only a service being deleted holds the port (an unlink raced us): never adopt it; retry later.
      if (onPort.length > 0) {
        throw new PortStillDeletingError(
          STEP_CREATE_SERVICES,
          `the previous endpoint service of ${listener.listenerIp} is still being deleted`,
          { cause: error },
        );
      }
    }
    if (error instanceof CloudApiError && !error.retryable) {
      throw new LinkRejectedError(
        STEP_CREATE_SERVICES,
        `could not create the endpoint service for ${listener.listenerIp}: ${error.message}`,
        undefined,
        error.code,
        { cause: error },
      );
    }
    throw error;
  }
}

/** What a link still has to create: services on ports without one, endpoints of the client VPC. */
function linkNeeds(
  instance: KafkaInstance,
  inventory: LinkInventory,
  request: LinkRequest,
): { endpoint_service: number; endpoint: number } {
  return {
    endpoint_service: instance.listeners.filter((l) => !serviceFor(inventory, l)).length,
    endpoint: instance.listeners.filter((l) => !endpointInClientVpc(inventory, l, request)).length,
  };
}

/**
 * Both quotas in one read, before any write: the services still to create, and the endpoints
 * buy-endpoints will need (against the client account's quota, read with its agency, when it is
 * another account's).
 */
async function checkLinkQuotas(
  deps: CreateServicesDeps,
  client: ClientSide<CreateServicesDeps['vpcep'], CreateServicesDeps['vpc']>,
  needed: { endpoint_service: number; endpoint: number },
): Promise<void> {
  const step = STEP_CREATE_SERVICES;
  if (client.agency) {
    await checkQuotas(deps, { endpoint_service: needed.endpoint_service }, step);
    await withAgency(client, step, () => checkQuotas(client, { endpoint: needed.endpoint }, step));
  } else {
    await checkQuotas(deps, needed, step);
  }
}

function whitelistOf(request: LinkRequest): string[] {
  const ids = [
    ...(request.client.domainId ? [request.client.domainId] : []),
    ...(request.options?.whitelist ?? []),
  ];
  return [...new Set(ids)].map((id) => `iam:domain::${id}`);
}

function changedTags(current: readonly Tag[], wanted: readonly Tag[]): Tag[] {
  return wanted.filter((w) => tagValue(current, w.key) !== w.value);
}

/** Clients in the instance's own VPC reach the brokers directly: endpoints there only cost money. */
function refuseOwnVpc(instance: KafkaInstance, request: LinkRequest): void {
  if (request.client.vpcId === instance.vpcId) {
    throw new LinkRejectedError(
      STEP_CREATE_SERVICES,
      `VPC ${instance.vpcId} is the Kafka instance's own VPC: its clients already reach the brokers ` +
        'directly; name the VPC of the clients in another VPC',
      'client.vpcId',
      'SAME_VPC',
    );
  }
}

/** One instance advertises one IP per broker, so it can serve one client VPC at a time. */
function refuseOtherClient(instance: KafkaInstance, request: LinkRequest): void {
  const desired = desiredLinkOf(instance);
  if (desired && !sameClient(desired.client, request.client)) {
    // The same VPC through another subnet: the subnet is what differs, so that is the field named.
    if (desired.client.vpcId === request.client.vpcId) {
      throw new LinkRejectedError(
        STEP_CREATE_SERVICES,
        `Kafka instance ${instance.instanceId} is already linked to VPC ${desired.client.vpcId} through ` +
          `subnet ${desired.client.subnetId}; unlink it before linking through another subnet`,
        'client.subnetId',
        'ALREADY_LINKED',
      );
    }
    throw new LinkRejectedError(
      STEP_CREATE_SERVICES,
      `Kafka instance ${instance.instanceId} is already linked to VPC ${desired.client.vpcId} ` +
        `(subnet ${desired.client.subnetId}); unlink it before linking another client VPC`,
      'client.vpcId',
      'ALREADY_LINKED',
    );
  }
}

function refuseEndpointsElsewhere(inventory: LinkInventory, request: LinkRequest): void {
  const elsewhere = inventory.endpoints.find(
    (e) => e.vpcId !== request.client.vpcId && e.status !== 'deleting' && tagValue(e.tags, TAG.instance),
  );
  if (elsewhere) {
    throw new LinkRejectedError(
      STEP_CREATE_SERVICES,
      `the instance's endpoint services already have endpoint ${elsewhere.id} in VPC ${elsewhere.vpcId}; ` +
        'unlink it before linking another client VPC',
      'client.vpcId',
      'ALREADY_LINKED',
    );
  }
}

/** Runs a call in the client's account, turning its refusals into rejections naming the fix. */
async function withAgency<T>(
  client: ClientSide<CreateServicesDeps['vpcep'], CreateServicesDeps['vpc']>,
  step: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw (client.agency && agencyError(error, client.agency, step)) || error;
  }
}

/**
 * The subnet must exist, belong to the client VPC and stay clear of VPCEP's own network. A subnet of
 * another account is read with that account's agency.
 */
async function checkClientSubnet(
  client: ClientSide<CreateServicesDeps['vpcep'], CreateServicesDeps['vpc']>,
  request: LinkRequest,
): Promise<void> {
  let subnet: Awaited<ReturnType<CreateServicesDeps['vpc']['getSubnet']>>;
  try {
    subnet = await withAgency(client, STEP_CREATE_SERVICES, () =>
      client.vpc.getSubnet(request.client.subnetId),
    );
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new LinkRejectedError(
        STEP_CREATE_SERVICES,
        `subnet ${request.client.subnetId} does not exist`,
        'client.subnetId',
        error.code,
        { cause: error },
      );
    }
    throw error;
  }
  if (subnet.vpcId !== request.client.vpcId) {
    throw new LinkRejectedError(
      STEP_CREATE_SERVICES,
      `subnet ${subnet.id} belongs to VPC ${subnet.vpcId}, not to the client VPC ${request.client.vpcId}`,
      'client.subnetId',
      'SUBNET_NOT_IN_VPC',
    );
  }
  if (cidrsOverlap(subnet.cidr, VPCEP_SERVICE_CIDR)) {
    throw new LinkRejectedError(
      STEP_CREATE_SERVICES,
      `subnet ${subnet.id} (${subnet.cidr}) overlaps ${VPCEP_SERVICE_CIDR}, the network VPC endpoints use`,
      'client.subnetId',
      'SUBNET_OVERLAPS_VPCEP',
    );
  }
}
