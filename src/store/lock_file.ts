import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileExclusive } from './atomic_file.js';
import { StoreError } from './errors.js';

/**
 * One process per state directory: `LOCK` holds the owner's pid. It is created atomically
 * with its content (temp file + link, see atomic_file.ts), so nobody ever sees an empty lock.
 * A lock whose pid is no longer alive (the owner was killed) is taken over; that takeover is
 * best effort: it assumes pids are not reused within the restart, as every pid-file scheme does.
 */
export const LOCK_NAME = 'LOCK';

export interface DirLock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function acquireDirLock(dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_NAME);
  const mine = new TextEncoder().encode(`${process.pid}\n`);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createFileExclusive(dir, LOCK_NAME, mine)) {
      return {
        async release() {
          if ((await readOwner(path)) === process.pid) await rm(path, { force: true });
        },
      };
    }
    const owner = await readOwner(path);
    if (owner !== undefined && isAlive(owner)) {
      throw new StoreError('STORE_LOCKED', `state directory is locked by live process ${owner}${owner === process.pid ? ' (this process)' : ''}`, {
        detail: { pid: owner },
      });
    }
    // Stale (dead owner or unreadable content): move it aside atomically, so of two racing
    // openers only one removes it, then try to create ours again.
    const aside = join(dir, `${LOCK_NAME}.stale-${process.pid}`);
    try {
      await rename(path, aside);
      await rm(aside, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new StoreError('STORE_LOCKED', 'state directory lock could not be taken after 3 attempts (another process keeps taking it)');
}
