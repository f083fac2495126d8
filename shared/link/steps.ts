/** The names of the link's steps: they label errors, `kvl.link.failed` events and logs. */
export const STEP_CREATE_SERVICES = 'create-services';
export const STEP_BUY_ENDPOINTS = 'buy-endpoints';
export const STEP_PATCH_LISTENERS = 'patch-listeners';
export const STEP_POLL_ACCEPTANCE = 'poll-acceptance';
