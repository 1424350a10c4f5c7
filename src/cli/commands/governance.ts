import type { Command } from 'commander';
import { approvalMessage, proposalHashOf, signAsUser } from '../../governance/index.js';
import { canonicalJson, manifestHash, parseManifest, type Manifest } from '../../manifest/index.js';
import { ClientError, type AttestedCoordinator, type GovernanceClient, type ProposalView, type ProposalWithManifest } from '../../runtime/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';
import { renderTable } from '../table.js';
import { attestFromFlags, clientFor, userFromFlags, withUserOptions, type Run, type UserFlags } from './user_session.js';

/**
 * `cloister manifest propose|approve|status|history`: manifest updates under the manifest's
 * governance (docs/governance.md "Manifest updates"). Approvals are signed HERE with the
 * user's key over the proposal hash, after checking that the proposal's manifest text, its
 * manifest hash and the proposal hash agree, so a user signs exactly what was shown.
 */
interface ApproveFlags extends UserFlags {
  manifest?: string;
}

export function registerGovernanceCommands(program: Command, run: Run): void {
  const manifest = program.commands.find((c) => c.name() === 'manifest') ?? program.command('manifest').description('set or read the coordinator manifest');
  withUserOptions(manifest.command('propose'))
    .description('propose a manifest update; it applies once enough users approve it (cloister manifest approve)')
    .argument('<file>', 'the new manifest (JSON or YAML)')
    .option('--json', 'print the proposal as one JSON object')
    .action((file: string, f: UserFlags) => run(() => propose(file, f)));
  withUserOptions(manifest.command('approve'))
    .description('show what a proposal changes, sign your approval with --key and send it; prints whether the update applied')
    .argument('<hash>', 'the proposal hash (64 hex digits, from cloister manifest propose or status)')
    .option('--manifest <file>', 'the manifest you reviewed: the proposal must propose exactly this manifest')
    .option('--json', 'print the result as one JSON object')
    .action((hash: string, f: ApproveFlags) => run(() => approve(hash, f)));
  withUserOptions(manifest.command('status'))
    .description('print the attested manifest hash and the open proposals with their approvals')
    .option('--json', 'print one JSON object')
    .action((f: UserFlags) => run(() => status(f)));
  withUserOptions(manifest.command('history'))
    .description('print the applied manifests, oldest first, with who approved each')
    .option('--json', 'print one JSON object')
    .action((f: UserFlags) => run(() => history(f)));
}

async function propose(file: string, f: UserFlags): Promise<number> {
  const text = Buffer.from(readInputFile(file, 'manifest')).toString('utf8');
  const local = manifestHash(parseManifest(text)); // invalid manifests fail here, before anything is sent
  const user = await userFromFlags(f);
  const att = await attestFromFlags(f);
  const p = await clientFor(att, user.auth).propose(text);
  checkProposal(p, { manifestHash: local });
  if (att.manifestHash !== null && p.previousManifestHash !== att.manifestHash) {
    throw new ClientError('PROPOSAL_INCONSISTENT', `the proposal replaces manifest ${p.previousManifestHash}, but the coordinator attested ${att.manifestHash}`, {
      detail: { got: p.previousManifestHash, want: att.manifestHash },
    });
  }
  if (f.json === true) {
    process.stdout.write(`${JSON.stringify(p)}\n`);
    return EXIT.OK;
  }
  process.stdout.write(
    `${renderTable(proposalRows(p))}\nproposed: approvers run 'cloister manifest approve ${p.proposalHash}' (${p.needed} approval${p.needed === 1 ? '' : 's'} needed)\n`,
  );
  return EXIT.OK;
}

async function approve(hashArg: string, f: ApproveFlags): Promise<number> {
  if (!/^[0-9a-fA-F]{64}$/.test(hashArg)) throw new UsageError('USAGE_ERROR', `proposal hash '${hashArg}' is not 64 hex digits`);
  const hash = hashArg.toLowerCase();
  const reviewed = f.manifest === undefined ? undefined : manifestHash(parseManifest(Buffer.from(readInputFile(f.manifest, 'manifest')).toString('utf8')));
  const user = await userFromFlags(f);
  const att = await attestFromFlags(f);
  const client = clientFor(att, user.auth);
  const p = await client.proposal(hash);
  const proposed = parseManifest(p.manifest);
  checkProposal(p, { proposalHash: hash, manifestHash: manifestHash(proposed) });
  if (reviewed !== undefined && reviewed !== p.manifestHash) {
    throw new ClientError('MANIFEST_HASH_MISMATCH', `proposal ${hash} proposes manifest ${p.manifestHash}, but --manifest ${f.manifest} hashes to ${reviewed}; not approving`, {
      detail: { got: p.manifestHash, want: reviewed },
    });
  }
  if (f.json !== true) {
    const sections = await changedSections(client, att, proposed);
    process.stdout.write(`${renderTable([...proposalRows(p), { field: 'changes', value: sections }])}\n`);
  }
  // A stale or applied proposal is the coordinator's to refuse (with its own code): an approval is bound to its base.
  const signature = Buffer.from(signAsUser(user.privateKey, approvalMessage(hash))).toString('hex');
  const r = await client.approve(hash, signature);
  // `currentManifestHash` is the manifest in force after the request: the proposed one once applied.
  if (r.proposalHash !== hash || r.manifestHash !== p.manifestHash || (r.applied && r.currentManifestHash !== p.manifestHash)) {
    throw new ClientError('PROPOSAL_INCONSISTENT', `approval answer: proposal ${r.proposalHash} applied=${r.applied} in force ${r.currentManifestHash}, want proposal ${hash}${r.applied ? ` and manifest ${p.manifestHash} in force` : ''}`, {
      detail: { got: { proposalHash: r.proposalHash, currentManifestHash: r.currentManifestHash }, want: { proposalHash: hash, manifestHash: p.manifestHash } },
    });
  }
  if (r.applied) await attestFromFlags(f, r.currentManifestHash); // the coordinator must now attest the new manifest
  if (f.json === true) {
    process.stdout.write(`${JSON.stringify({ ...r, attested: r.applied })}\n`);
    return EXIT.OK;
  }
  const tally = `${r.approvedBy.length}/${r.needed} (${r.approvedBy.join(', ') || '-'})`;
  const what = r.applied
    ? `approved ${tally}: quorum reached, manifest ${r.manifestHash} applied (attested)`
    : `approved ${tally}: waiting for ${Math.max(0, r.needed - r.approvedBy.length)} more approval(s)`;
  process.stdout.write(`${what}\n`);
  return EXIT.OK;
}

async function status(f: UserFlags): Promise<number> {
  const user = await userFromFlags(f);
  const att = await attestFromFlags(f);
  const proposals = await clientFor(att, user.auth).proposals();
  for (const p of proposals) checkProposal(p, {});
  if (f.json === true) {
    process.stdout.write(`${JSON.stringify({ manifestHash: att.manifestHash, proposals })}\n`);
    return EXIT.OK;
  }
  const open = proposals.filter((p) => p.status === 'open');
  const lines = [`manifest ${att.manifestHash ?? '(none set)'} (attested)`, open.length === 0 ? 'no open proposals' : `${open.length} open proposal(s):`];
  for (const p of open) {
    lines.push(`  ${p.proposalHash}  ${p.change}  by ${p.proposedBy}  approvals ${p.approvedBy.length}/${p.needed}${p.approvedBy.length === 0 ? '' : ` (${p.approvedBy.join(', ')})`}  -> ${p.manifestHash}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

async function history(f: UserFlags): Promise<number> {
  const user = await userFromFlags(f);
  const att = await attestFromFlags(f);
  const h = await clientFor(att, user.auth).history();
  if (f.json === true) {
    process.stdout.write(`${JSON.stringify({ manifestHash: att.manifestHash, history: h })}\n`);
    return EXIT.OK;
  }
  if (h.length === 0) {
    process.stdout.write('(no manifest applied yet)\n');
    return EXIT.OK;
  }
  const lines = h.map((e) => {
    const how = e.proposalHash === null ? 'set' : `proposal ${e.proposalHash.slice(0, 16)} approved by ${e.approvedBy.join(', ') || '-'}`;
    return `${e.appliedAt}  ${e.manifestHash}  ${how}${e.manifestHash === att.manifestHash ? '  (current, attested)' : ''}`;
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

/**
 * The proposal hash must be the hash of its two manifest hashes (docs/governance.md), and match
 * what we asked for or computed: otherwise we would sign, or report, something else.
 */
function checkProposal(p: ProposalView, want: { proposalHash?: string; manifestHash?: string }): void {
  const computed = proposalHashOf(p.previousManifestHash, p.manifestHash);
  const bad = (what: string, got: string, expected: string): never => {
    throw new ClientError('PROPOSAL_INCONSISTENT', `proposal ${p.proposalHash}: ${what} got ${got}, want ${expected}`, { detail: { got, want: expected } });
  };
  if (p.proposalHash !== computed) bad('proposal hash (of previous and new manifest hash)', p.proposalHash, computed);
  if (want.proposalHash !== undefined && p.proposalHash !== want.proposalHash) bad('proposal hash', p.proposalHash, want.proposalHash);
  if (want.manifestHash !== undefined && p.manifestHash !== want.manifestHash) bad('manifest hash', p.manifestHash, want.manifestHash);
}

function proposalRows(p: ProposalView | ProposalWithManifest): Array<{ field: string; value: unknown }> {
  return [
    { field: 'proposal', value: p.proposalHash },
    { field: 'change', value: p.change },
    { field: 'manifest', value: `${p.previousManifestHash} -> ${p.manifestHash}` },
    { field: 'proposed', value: `by ${p.proposedBy} at ${p.proposedAt}` },
    { field: 'approvals', value: `${p.approvedBy.length}/${p.needed}${p.approvedBy.length === 0 ? '' : ` (${p.approvedBy.join(', ')})`}` },
    { field: 'status', value: p.status },
  ];
}

/**
 * The top-level manifest sections that differ from the manifest in force (fetched and checked
 * against the attested hash), e.g. "packages, secrets": a summary for the approver, who should
 * review the full text (--manifest) before approving.
 */
async function changedSections(client: GovernanceClient, att: AttestedCoordinator, proposed: Manifest): Promise<string> {
  if (att.manifestHash === null) return '(no manifest in force)';
  const cur = await client.manifest();
  const current = parseManifest(cur.manifest);
  if (manifestHash(current) !== att.manifestHash) {
    throw new ClientError('MANIFEST_HASH_MISMATCH', `the coordinator's current manifest hashes to ${manifestHash(current)}, but it attests ${att.manifestHash}`, {
      detail: { got: manifestHash(current), want: att.manifestHash },
    });
  }
  const a = current as unknown as Record<string, unknown>;
  const b = proposed as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const changed = keys.filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null));
  return changed.length === 0 ? '(none)' : changed.join(', ');
}
