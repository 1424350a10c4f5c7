import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { LaunchError } from './errors.js';

/**
 * Finds the file the launcher will execute, before anything is sent to the coordinator: a
 * missing program fails at once, without spending an activation. The launcher then spawns
 * exactly this absolute path (not the name again through PATH), so the file it measured for
 * the simulated TEE is the file that runs. argv[0] stays as the user wrote it.
 *
 * Like execvp: a name without '/' is searched in PATH (an empty entry means the current
 * directory); a name with '/' is taken relative to the working directory. A match that is
 * not executable is skipped during the PATH search and reported if nothing better is found.
 */
export interface ResolvedCommand {
  /** absolute path of the regular file that will be executed */
  readonly path: string;
  /** argv[0] for the program: the command as given */
  readonly argv0: string;
}

export async function resolveCommand(command: string, o: { readonly cwd: string; readonly pathEnv: string | undefined }): Promise<ResolvedCommand> {
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(o.cwd, command);
    const problem = await executableProblem(path);
    if (problem === 'missing') throw notFound(command, path === command ? 'does not exist' : `('${path}') does not exist`);
    if (problem !== undefined) throw notExecutable(command, path, problem);
    return { path, argv0: command };
  }
  let firstProblem: { path: string; why: string } | undefined;
  // like execvp: without PATH, the default search path (glibc's _CS_PATH)
  for (const dir of (o.pathEnv ?? '/bin:/usr/bin').split(delimiter)) {
    const path = resolve(o.cwd, join(dir === '' ? '.' : dir, command));
    const problem = await executableProblem(path);
    if (problem === undefined) return { path, argv0: command };
    if (problem !== 'missing') firstProblem ??= { path, why: problem };
  }
  if (firstProblem !== undefined) throw notExecutable(command, firstProblem.path, firstProblem.why);
  throw notFound(command, `not found in PATH (${o.pathEnv === undefined || o.pathEnv === '' ? 'PATH is empty' : o.pathEnv})`);
}

/** undefined when `path` is an executable regular file; 'missing' or why not otherwise. */
async function executableProblem(path: string): Promise<string | undefined> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : `cannot stat it (${code ?? 'error'})`;
  }
  if (!st.isFile()) return st.isDirectory() ? 'it is a directory' : 'it is not a regular file';
  try {
    await access(path, constants.X_OK);
  } catch {
    return 'it has no execute permission for this user (chmod +x, or a script needs a #! line)';
  }
  return undefined;
}

function notFound(command: string, why: string): LaunchError {
  return new LaunchError('LAUNCH_COMMAND_NOT_FOUND', `program '${command}' ${why}; check the command after --`, { detail: { command } });
}

function notExecutable(command: string, path: string, why: string): LaunchError {
  return new LaunchError('LAUNCH_COMMAND_NOT_EXECUTABLE', `program '${command}' (${path}) cannot be executed: ${why}`, { detail: { command, path } });
}
