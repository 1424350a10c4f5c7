import type { CodeTable } from './common/errors.js';
import { DCAP_EVIDENCE_CODES } from './evidence/dcap/codes.js';
import { SNP_EVIDENCE_CODES } from './evidence/snp/codes.js';
import { EVIDENCE_CODES } from './evidence/errors.js';
import { ENTRY_VERIFY_CODES, POLICY_CODES } from './verify/codes.js';
import { DCAP_VERIFY_CODES } from './verify/dcap/codes.js';
import { SNP_VERIFY_CODES } from './verify/snp/codes.js';
import { TOKEN_CODES } from './verify/index.js';
import { COLLATERAL_CODES } from './collateral/index.js';
import { SIM_VERIFY_CODES } from './verify/index.js';
import { MANIFEST_CODES } from './manifest/index.js';
import { TEE_CODES } from './tee/index.js';
import { STORE_CODES } from './store/index.js';
import { CA_CODES } from './ca/index.js';
import { COORDINATOR_CODES } from './coordinator/index.js';
import { CLIENT_CODES } from './runtime/index.js';
import { PROTECT_CODES } from './protect/index.js';
import { LAUNCH_CODES } from './runtime/launch/index.js';
import { AUDIT_CODES } from './audit/index.js';
import { RECOVERY_CODES } from './recovery/index.js';
import { GOVERNANCE_CODES } from './governance/index.js';
import { K8S_CODES } from './k8s/index.js';
import { CLI_CODES } from './cli/codes.js';
import { JCS_CODES } from './common/jcs.js';

/**
 * Every stable error code, grouped as documented in docs/errors.md (generated from this list
 * by `npm run docs:errors`; a test fails when the two disagree).
 */
export interface CodeGroup {
  readonly title: string;
  readonly errorClass: string;
  readonly table: CodeTable;
}

export const CODE_GROUPS: readonly CodeGroup[] = [
  { title: 'Evidence format', errorClass: 'EvidenceError', table: { EVIDENCE_FORMAT_UNKNOWN: EVIDENCE_CODES.EVIDENCE_FORMAT_UNKNOWN } },
  { title: 'DCAP quote parsing (SGX/TDX)', errorClass: 'EvidenceError', table: DCAP_EVIDENCE_CODES },
  { title: 'SEV-SNP report parsing', errorClass: 'EvidenceError', table: SNP_EVIDENCE_CODES },
  { title: 'Verification entry point', errorClass: 'VerifyError', table: ENTRY_VERIFY_CODES },
  { title: 'DCAP verification (SGX/TDX)', errorClass: 'VerifyError', table: DCAP_VERIFY_CODES },
  { title: 'SEV-SNP verification', errorClass: 'VerifyError', table: SNP_VERIFY_CODES },
  { title: 'Simulated-TEE evidence verification', errorClass: 'VerifyError', table: SIM_VERIFY_CODES },
  { title: 'Policy (validate step)', errorClass: 'PolicyError', table: POLICY_CODES },
  { title: 'Attestation-result tokens (EAR)', errorClass: 'TokenError', table: TOKEN_CODES },
  { title: 'Collateral fetching (Intel PCS/PCCS, AMD KDS, cache)', errorClass: 'CollateralError', table: COLLATERAL_CODES },
  { title: 'Manifest', errorClass: 'ManifestError', table: MANIFEST_CODES },
  { title: 'Canonical JSON (RFC 8785)', errorClass: 'JcsError', table: JCS_CODES },
  { title: 'Evidence providers (simulated TEE, Gramine, configfs-tsm)', errorClass: 'TeeError', table: TEE_CODES },
  { title: 'Sealed state store', errorClass: 'StoreError', table: STORE_CODES },
  { title: 'Certificate authority', errorClass: 'CaError', table: CA_CODES },
  { title: 'Coordinator', errorClass: 'CoordinatorError', table: COORDINATOR_CODES },
  { title: 'Coordinator client (verify, manifest, status, run)', errorClass: 'ClientError', table: CLIENT_CODES },
  { title: 'Protected volumes', errorClass: 'ProtectError', table: PROTECT_CODES },
  { title: 'Launcher (cloister run)', errorClass: 'LaunchError', table: LAUNCH_CODES },
  { title: 'Audit log', errorClass: 'AuditError', table: AUDIT_CODES },
  { title: 'Recovery (secret sharing)', errorClass: 'RecoveryError', table: RECOVERY_CODES },
  { title: 'Governance (users, roles, approvals)', errorClass: 'GovernanceError', table: GOVERNANCE_CODES },
  { title: 'Kubernetes (install, admission webhook, initdata)', errorClass: 'K8sError', table: K8S_CODES },
  { title: 'Command line', errorClass: 'UsageError', table: CLI_CODES },
];
