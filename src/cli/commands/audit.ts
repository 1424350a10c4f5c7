import type { Command } from 'commander';
import { renderAuditJson, renderAuditLines } from '../../audit/index.js';
import { CloisterError } from '../../common/errors.js';
import { AUDIT_PAGE_SIZE, checkAuditLog, checkAuditPage } from '../../runtime/index.js';
import { EXIT, UsageError } from '../exit.js';
import { attestFromFlags, clientFor, positiveInt, userFromFlags, withUserOptions, type Run, type UserFlags } from './user_session.js';

/**
 * `cloister audit verify|log`: the coordinator's signed, hash-chained audit log
 * (docs/governance.md "Audit log"). `verify` fetches the whole log and checks it against the
 * attestation: chain, hashes, signatures under the attested root CA key, and the audit head
 * the evidence binds (so a log cut short or rewritten before that head is caught).
 */
interface LogFlags extends UserFlags {
  from?: string;
  limit?: string;
}

export function registerAuditCommands(program: Command, run: Run): void {
  const audit = program.commands.find((c) => c.name() === 'audit') ?? program.command('audit').description("read and verify the coordinator's signed audit log");
  withUserOptions(audit.command('verify'))
    .description('attest the coordinator, fetch its whole audit log and verify chain, signatures and the attested audit head')
    .option('--json', 'print one JSON object ({ ok, ... } also on verification failure)')
    .action((f: UserFlags) => run(() => verify(f)));
  withUserOptions(audit.command('log'))
    .description('print audit entries, one line each (entries are checked: signatures, chain within the range, attested head)')
    .option('--from <seq>', 'first entry (seq, default 1)')
    .option('--limit <n>', `at most this many entries (default ${AUDIT_PAGE_SIZE})`)
    .option('--json', 'print the entries exactly as stored (verifiable), with their head')
    .action((f: LogFlags) => run(() => log(f)));
}

async function verify(f: UserFlags): Promise<number> {
  const user = await userFromFlags(f);
  let result;
  try {
    const att = await attestFromFlags(f);
    const { entries, head } = await clientFor(att, user.auth).auditLog();
    result = checkAuditLog(att, entries, head);
  } catch (e) {
    if (f.json !== true || e instanceof UsageError || !(e instanceof CloisterError)) throw e;
    process.stdout.write(`${JSON.stringify({ ok: false, error: e.toJSON() })}\n`);
    return EXIT.REJECTED;
  }
  if (f.json === true) {
    process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
    return EXIT.OK;
  }
  const { entries, head, attestedHead } = result;
  process.stdout.write(
    `OK: audit log verified: ${entries} entr${entries === 1 ? 'y' : 'ies'}, head seq ${head.seq} hash ${head.hash}; attested head seq ${attestedHead.seq} is in the log\n`,
  );
  return EXIT.OK;
}

async function log(f: LogFlags): Promise<number> {
  const from = positiveInt('--from', f.from, 1);
  const limit = positiveInt('--limit', f.limit, AUDIT_PAGE_SIZE);
  const user = await userFromFlags(f);
  const att = await attestFromFlags(f);
  const page = await clientFor(att, user.auth).auditPage(from, limit);
  const entries = page.entries.slice(0, limit); // a coordinator must not print more than asked
  checkAuditPage(att, entries, from);
  process.stdout.write(f.json === true ? renderAuditJson(entries) : renderAuditLines(entries));
  return EXIT.OK;
}
