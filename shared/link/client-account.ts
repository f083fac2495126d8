/**
 * Where the client side of a link lives. A client in the owner's account is served by the owner's
 * clients; a client in another account only through the agency that account delegated to the owner
 * (ARCHITECTURE §7): its endpoints are bought, read and deleted there.
 */
import { CloudApiError } from '../cloud/errors.js';
import { ProjectNotFoundError } from '../cloud/iam.js';
import type { Tag, VpcClient, VpcepClient } from '../cloud/types.js';
import type { LinkDeps } from './deps.js';
import type { ClientTarget } from './desired.js';
import { LinkRejectedError } from './errors.js';
import { TAG, tagValue } from './tags.js';

/** `V` and `W`: the VPCEP and VPC clients, with the operations the caller's deps offer. */
export interface ClientSide<V = VpcepClient, W = VpcClient> {
  vpcep: V;
  vpc: W;
  /** The client's account when it is reached through an agency. */
  agency?: { domainId: string; agencyName: string };
}

/**
 * The client's account as far as it can be known up front: a client domain that is not the owner's
 * needs an agency (without one the endpoints would be bought with the owner's credentials, which the
 * cloud refuses for another account's VPC, after the services were already created).
 */
export async function requireAgencyForOtherAccount(
  deps: Pick<LinkDeps, 'ownerDomainId'>,
  client: ClientTarget,
  step: string,
): Promise<void> {
  if (!client.domainId || client.agencyName) return;
  const owner = await deps.ownerDomainId?.();
  if (owner !== undefined && owner === client.domainId) return;
  throw new LinkRejectedError(
    step,
    `account ${client.domainId} is not the instance owner's account: its endpoints can only be bought ` +
      'through an agency it delegated to the owner; create one there (docs/DEPLOY.md, ' +
      'deploy/client-agency-policy.json) and name it (--client-agency)',
    'client.agencyName',
    'AGENCY_REQUIRED',
  );
}

/** The clients acting in the client's account. */
export async function clientSide<V, W>(
  deps: {
    vpcep: V;
    vpc: W;
    clientAccount?: (agency: { domainId: string; agencyName: string }) => Promise<{ vpcep: V; vpc: W }>;
  },
  client: Pick<ClientTarget, 'domainId' | 'agencyName'>,
  step: string,
): Promise<ClientSide<V, W>> {
  if (!client.domainId || !client.agencyName) return { vpcep: deps.vpcep, vpc: deps.vpc };
  const agency = { domainId: client.domainId, agencyName: client.agencyName };
  if (!deps.clientAccount) {
    throw new LinkRejectedError(
      step,
      'this deployment cannot act in other accounts (no agency support configured)',
      'client.agencyName',
      'AGENCY_UNSUPPORTED',
    );
  }
  try {
    const clients = await deps.clientAccount(agency);
    return { vpcep: clients.vpcep, vpc: clients.vpc, agency };
  } catch (error) {
    throw agencyError(error, agency, step) ?? error;
  }
}

/**
 * A refusal by the client account (or by IAM on its behalf) that no retry can fix, as a rejection
 * naming what to change; undefined for anything transient.
 */
export function agencyError(
  error: unknown,
  agency: { domainId: string; agencyName: string },
  step: string,
): LinkRejectedError | undefined {
  const where = `agency ${agency.agencyName} of account ${agency.domainId}`;
  if (error instanceof ProjectNotFoundError) {
    return new LinkRejectedError(
      step,
      `${where} sees no project of region ${error.regionName}; the client VPC must be in the instance's region`,
      'client.domainId',
      'CLIENT_PROJECT_NOT_FOUND',
      { cause: error },
    );
  }
  if (!(error instanceof CloudApiError) || error.retryable) return undefined;
  if (error.service === 'iam' && (error.httpStatus === 403 || error.httpStatus === 404)) {
    return new LinkRejectedError(
      step,
      `could not assume ${where}: ${error.serverMessage}. The client account must create the agency, ` +
        "delegated to the instance owner's account, and the owner's function agency needs " +
        'iam:agencies:assume (docs/DEPLOY.md)',
      'client.agencyName',
      error.code,
      { cause: error },
    );
  }
  if (error.httpStatus === 403) {
    return new LinkRejectedError(
      step,
      `${where} lacks a permission: ${error.serverMessage}; grant it the actions of ` +
        'deploy/client-agency-policy.json',
      'client.agencyName',
      error.code,
      { cause: error },
    );
  }
  return undefined;
}

/** The client account a link request or declaration names, when it names another account. */
export function declaredAccount(
  client: Pick<ClientTarget, 'domainId' | 'agencyName'> | undefined,
): { domainId: string; agencyName: string } | undefined {
  return client?.domainId && client.agencyName
    ? { domainId: client.domainId, agencyName: client.agencyName }
    : undefined;
}

/** Tags that record, on the owner's services, which account their endpoints live in. */
export function clientAccountTags(client: Pick<ClientTarget, 'domainId' | 'agencyName'>): Tag[] {
  return client.domainId && client.agencyName
    ? [
        { key: TAG.clientDomain, value: client.domainId },
        { key: TAG.clientAgency, value: client.agencyName },
      ]
    : [];
}

/** The client account recorded on a link's services (survives the instance's tags). */
export function clientAccountOf(
  services: ReadonlyArray<{ tags: readonly Tag[] }>,
): { domainId: string; agencyName: string } | undefined {
  for (const service of services) {
    const domainId = tagValue(service.tags, TAG.clientDomain);
    const agencyName = tagValue(service.tags, TAG.clientAgency);
    if (domainId && agencyName) return { domainId, agencyName };
  }
  return undefined;
}
