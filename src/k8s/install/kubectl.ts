import { spawn } from 'node:child_process';
import { K8sError } from '../errors.js';

/**
 * `kubectl apply -f -` with the user's own kubeconfig and context (we never read or store
 * cluster credentials). Output goes to the caller's stdout/stderr as kubectl prints it.
 */
export function kubectlApply(yamlText: string, o: { kubectl?: string; context?: string; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<void> {
  const bin = o.kubectl ?? 'kubectl';
  const args = [...(o.context === undefined ? [] : ['--context', o.context]), 'apply', '-f', '-'];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.pipe(o.stdout ?? process.stdout);
    child.stderr.pipe(o.stderr ?? process.stderr);
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? `'${bin}' was not found on PATH: install kubectl, or run without --apply and pipe the output to it` : e.message;
      reject(new K8sError('K8S_KUBECTL_FAILED', why, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new K8sError('K8S_KUBECTL_FAILED', `kubectl apply failed (${signal ?? `exit ${code}`})`, { detail: { exitCode: code } }));
    });
    child.stdin.on('error', () => undefined); // kubectl exited early: reported by 'close'
    child.stdin.end(yamlText);
  });
}
