/** What the two cold-start comparison functions share besides the handler stack. */
import type { KvlConfig } from '../../shared/runtime/config.js';
import type { EventPublisher } from '../../shared/runtime/publisher.js';

/** The comparison functions emit nothing; publishing would add an SMN client to both sides alike. */
export const noPublisher = (): EventPublisher => ({
  publish: async () => {},
});

/** The per-service override, else HUAWEICLOUD_ENDPOINT (the emulator in the benchmark). */
export function endpointOf(config: KvlConfig, service: 'dms'): string {
  const url = config.endpoints[service] ?? config.endpoints.all;
  if (!url) throw new Error('the cold-start functions need HUAWEICLOUD_ENDPOINT');
  return url;
}
