import { ProtectError, type VersionAuthority, type VolumeState } from '../protect/index.js';
import { ClientError } from './errors.js';
import { endpoint, request } from './https.js';

/** The instance's current mTLS credentials (the certificate chain, leaf first, and its key). */
export interface InstanceCredentials {
  readonly certificatePem: string;
  readonly keyPem: string;
}

export interface CoordinatorAuthorityOptions {
  readonly coordinatorUrl: string;
  /** the coordinator root CA (the `{{ self.ca }}` file an activated workload receives) */
  readonly rootCaPem: string;
  /**
   * The instance's credentials, or a function returning the current ones: the launcher renews
   * the certificate while the program runs and the coordinator accepts only the newest, so a
   * long-running program passes a function that re-reads the files.
   */
  readonly credentials: InstanceCredentials | (() => InstanceCredentials | Promise<InstanceCredentials>);
  readonly timeoutMs?: number;
}

/**
 * The coordinator as a protected volume's version authority (docs/api.md, /api/v1/volumes):
 * it keeps each declared volume's latest version and hash in its sealed store, out of reach of
 * an operator who can restore the volume's files. Conflicts become VOLUME_AUTHORITY_CONFLICT,
 * the code every VersionAuthority uses.
 */
export function coordinatorVersionAuthority(o: CoordinatorAuthorityOptions): VersionAuthority {
  const opts = async () => {
    const c = typeof o.credentials === 'function' ? await o.credentials() : o.credentials;
    return { ca: o.rootCaPem, clientCert: c.certificatePem, clientKey: c.keyPem, timeoutMs: o.timeoutMs ?? 10_000 };
  };
  const path = (volumeId: string) => `/api/v1/volumes/${encodeURIComponent(volumeId)}`;
  return {
    async get(volumeId: string): Promise<VolumeState | undefined> {
      const r = await request('GET', endpoint(new URL(o.coordinatorUrl), path(volumeId)), undefined, await opts());
      const j = r.json as { version?: unknown; hash?: unknown };
      if (typeof j.version !== 'number' || (j.hash !== null && typeof j.hash !== 'string')) {
        throw new ClientError('COORDINATOR_RESPONSE_INVALID', `volume ${volumeId}: the coordinator's answer has no version/hash`);
      }
      return j.version === 0 || j.hash === null ? undefined : { version: j.version, hash: j.hash as string };
    },
    async advance(volumeId: string, expectedVersion: number, next: VolumeState): Promise<void> {
      try {
        await request('POST', endpoint(new URL(o.coordinatorUrl), `${path(volumeId)}/advance`), { expectedVersion, next }, await opts());
      } catch (e) {
        if (e instanceof ClientError && (e.detail as { code?: string } | undefined)?.code === 'VOLUME_VERSION_CONFLICT') {
          throw new ProtectError('VOLUME_AUTHORITY_CONFLICT', `volume ${volumeId}: ${e.message}`, { cause: e });
        }
        throw e;
      }
    },
  };
}
