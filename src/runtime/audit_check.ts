import { X509Certificate } from 'node:crypto';
import { AuditError, verifyAuditLog, type AuditHead, type AuditRecord, type VerifyAuditOptions } from '../audit/index.js';
import { ClientError } from './errors.js';

/**
 * Checks a coordinator's whole audit log (docs/governance.md "Audit log") against what its
 * attestation proved: the entries are signed by the attested root CA's key, chain from seq 1,
 * and include the attested head. The attestation binds the head at attestation time; the log
 * fetched afterwards may have grown past it, but the entry at the attested seq must carry the
 * attested hash. Together with the chain this means every entry up to the attested head is
 * the history the TEE committed to; nothing was edited, dropped, reordered or cut off before it.
 */
export interface AuditCheckResult {
  /** number of entries verified */
  readonly entries: number;
  /** the head of the verified log */
  readonly head: AuditHead;
  /** the head the attestation binds (at or before `head`) */
  readonly attestedHead: AuditHead;
}

export function checkAuditLog(
  attested: { readonly rootCaPem: string; readonly auditHead?: AuditHead | undefined },
  entries: readonly AuditRecord[],
  head: AuditHead,
): AuditCheckResult {
  const want = attested.auditHead;
  if (want === undefined) {
    throw new ClientError('AUDIT_HEAD_NOT_ATTESTED', 'the attestation binds no audit head, so the audit log cannot be checked against it (upgrade the coordinator)');
  }
  // `head` is the coordinator's own head when it answered: a log cut short even after the
  // attested head is caught here (AUDIT_HEAD_MISMATCH).
  const verified = verifyOrExplain(entries, { publicKey: new X509Certificate(attested.rootCaPem).publicKey, expectedHead: head });
  if (want.seq > verified.seq) {
    throw new ClientError('AUDIT_LOG_TRUNCATED', `audit log ends at seq ${verified.seq}, but the attestation binds head seq ${want.seq}: entries ${verified.seq + 1}-${want.seq} are missing`, {
      detail: { seq: verified.seq + 1, attestedSeq: want.seq },
    });
  }
  if (want.seq > 0) {
    // verifyAuditLog proved entries are seq 1, 2, ... in order, so seq n is at index n - 1.
    checkAttestedEntry(entries[want.seq - 1]!, want);
  }
  return { entries: entries.length, head: verified, attestedHead: { seq: want.seq, hash: want.hash } };
}

/**
 * Checks one page of the log (`cloister audit log --from N`): every entry is signed by the
 * attested root CA key, the page is seq from, from + 1, ... and chains internally, and if it
 * holds the attested head's seq that entry has the attested hash. Whether the page links back
 * to seq 1 is not checked (that needs the entries before it: `checkAuditLog`).
 */
export function checkAuditPage(attested: { readonly rootCaPem: string; readonly auditHead?: AuditHead | undefined }, entries: readonly AuditRecord[], from: number): void {
  const first = entries[0];
  if (first === undefined) return;
  const after = { seq: from - 1, hash: (first as { prevHash?: unknown }).prevHash as string };
  verifyOrExplain(entries, { publicKey: new X509Certificate(attested.rootCaPem).publicKey, after });
  const want = attested.auditHead;
  if (want !== undefined && want.seq >= from && want.seq < from + entries.length) checkAttestedEntry(entries[want.seq - from]!, want);
}

function checkAttestedEntry(at: AuditRecord, want: AuditHead): void {
  if (at.hash !== want.hash) {
    throw new ClientError('AUDIT_ATTESTED_HEAD_MISMATCH', `audit seq ${want.seq}: hash ${at.hash}, but the attestation binds ${want.hash}: the log was rewritten`, {
      detail: { seq: want.seq, got: at.hash, want: want.hash },
    });
  }
}

function verifyOrExplain(entries: readonly AuditRecord[], o: VerifyAuditOptions): AuditHead {
  try {
    return verifyAuditLog(entries, o);
  } catch (e) {
    if (!(e instanceof AuditError)) throw e;
    const seq = typeof e.detail?.seq === 'number' ? e.detail.seq : undefined;
    throw new ClientError('AUDIT_LOG_INVALID', `audit log does not verify${seq === undefined ? '' : ` at seq ${seq}`}: ${e.code}: ${e.message}`, {
      cause: e,
      detail: { reason: e.code, ...(seq === undefined ? {} : { seq }) },
    });
  }
}
