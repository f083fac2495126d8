/**
 * The functions' agency: temporary credentials and an IAM token from the emulator's IAM, never the
 * account's AK/SK, each registered as a secret so no log line can carry it.
 */
import { registerSecret } from '../../shared/runtime/logger.js';
import { issueTemporaryCredentials, issueToken } from '../cloud/iam.js';
import type { EmulatorHandle } from '../cloud/server.js';
import type { Account, EmuClock, IamToken, TemporaryCredential } from '../cloud/types.js';

export class AgencyCredentials {
  private credential: TemporaryCredential | undefined;
  private token: IamToken | undefined;

  constructor(
    private readonly emulator: EmulatorHandle,
    private readonly account: Account,
    /** Lifetime of the credentials in emulated seconds (900-86400). */
    private readonly credentialSeconds: number,
  ) {}

  private get clock(): EmuClock {
    return this.emulator.clock;
  }

  /**
   * The agency's temporary credentials, cached and renewed once half their lifetime (emulated time)
   * has passed, so an invocation never starts with credentials about to expire.
   */
  credentials(): TemporaryCredential {
    const clock = this.clock;
    const margin = (this.credentialSeconds * 1000) / 2;
    if (!this.credential || this.credential.expiresAt - clock.now() < margin) {
      this.credential = issueTemporaryCredentials(
        this.emulator.world,
        clock,
        this.account,
        this.credentialSeconds,
      );
      registerSecret(this.credential.sk);
      registerSecret(this.credential.securityToken);
    }
    return this.credential;
  }

  /** The agency's IAM token (`context.getToken()`), renewed the same way. */
  iamToken(): IamToken {
    const clock = this.clock;
    if (!this.token || this.token.expiresAt - clock.now() < 12 * 3_600_000) {
      this.token = issueToken(this.emulator.world, clock, this.account);
      registerSecret(this.token.token);
    }
    return this.token;
  }
}
