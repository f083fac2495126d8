/**
 * An axios instance built from axios' own core, the way `axios.create` builds one, without importing
 * axios' default export: that export also carries the HTTP status-code table, CancelToken, `all`,
 * `spread` and the form helpers, ~3.5 KB of every function bundle that no cloud call uses (issue #15).
 * Requests still go through axios' `Axios` class (interceptors, config merge and validation, its
 * default adapter selection, settle, AxiosError): only the entry point differs.
 *
 * axios publishes these modules as `axios/unsafe/*` (package.json "exports") without type
 * declarations, hence the typed wrapper.
 */
import type {
  AxiosError as AxiosErrorClass,
  AxiosHeaders as AxiosHeadersClass,
  AxiosInstance,
  AxiosResponse,
  CreateAxiosDefaults,
} from 'axios';
// @ts-expect-error: axios ships no declarations for its `unsafe/*` entry points
import Axios from 'axios/unsafe/core/Axios.js';
// @ts-expect-error: as above
import AxiosErrorCore from 'axios/unsafe/core/AxiosError.js';
// @ts-expect-error: as above
import AxiosHeadersCore from 'axios/unsafe/core/AxiosHeaders.js';
// @ts-expect-error: as above
import mergeConfig from 'axios/unsafe/core/mergeConfig.js';
// @ts-expect-error: as above
import settleCore from 'axios/unsafe/core/settle.js';
// @ts-expect-error: as above
import defaults from 'axios/unsafe/defaults/index.js';
// @ts-expect-error: as above
import isAxiosErrorCore from 'axios/unsafe/helpers/isAxiosError.js';

export const AxiosHeaders: typeof AxiosHeadersClass = AxiosHeadersCore;
export const AxiosError: typeof AxiosErrorClass = AxiosErrorCore;
export const isAxiosError: (payload: unknown) => payload is AxiosErrorClass = isAxiosErrorCore;
/** Resolves with `response`, or rejects with axios' status error when `validateStatus` refuses it. */
export const settle: (
  resolve: (response: AxiosResponse) => void,
  reject: (error: AxiosErrorClass) => void,
  response: AxiosResponse,
) => void = settleCore;

/**
 * `axios.create(config)` from the core. The instance is what axios-retry and the HTTP client use: it
 * can be called with a request config (axios-retry re-sends that way), has `request`, `defaults` and
 * `interceptors`; the method shorthands (`get`, `post`, …) are left out.
 */
export function createAxiosInstance(config: CreateAxiosDefaults): AxiosInstance {
  const context = new Axios(mergeConfig(defaults, config));
  const request = (requestConfig: unknown) => context.request(requestConfig);
  return Object.assign(request, {
    request,
    defaults: context.defaults,
    interceptors: context.interceptors,
  }) as unknown as AxiosInstance;
}
