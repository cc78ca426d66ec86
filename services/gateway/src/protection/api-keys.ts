import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@mesh/service-kit';

export const API_KEY_HEADER = 'x-api-key';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The API keys the gateway accepts. A presented key is hashed and compared with every known
 * key's hash in constant time, so neither the comparison nor the number of keys checked tells an
 * attacker how close a guess was (hashing first also makes the lengths equal).
 */
export class ApiKeys {
  private readonly hashes: Buffer[];

  constructor(keys: readonly string[]) {
    this.hashes = keys.map(sha256);
  }

  /**
   * The id of the client that presented `header` (a hash of its key, never the key itself), or
   * undefined when the key is missing or unknown.
   */
  identify(header: string | string[] | undefined): string | undefined {
    if (typeof header !== 'string' || header === '') return undefined;
    const presented = sha256(header);
    let known = false;
    for (const hash of this.hashes) {
      // No early exit: every key is compared, whichever matches.
      known = timingSafeEqual(presented, hash) || known;
    }
    return known ? presented.toString('hex') : undefined;
  }

  /** Throws 401 unauthorized unless `header` holds a known key. */
  authenticate(header: string | string[] | undefined): void {
    if (this.identify(header)) return;
    throw new AppError('unauthorized', {
      detail: `Send a valid API key in the ${API_KEY_HEADER} header.`,
      headers: { 'www-authenticate': 'ApiKey' },
    });
  }
}
