import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import {
  addInitdataReference, ANNOTATION_KATA_INITDATA, checkCoordinatorUrl, checkInitdataAlgorithm, checkInstallOptions, checkSgxPlugin, createRegistryClient, DEFAULT_ETCD_IMAGE,
  decodeInitdataAnnotation, encodeInitdataAnnotation, fetchAttestedManifest, generateWebhookTls, initdataDigest, INSTALL_DEFAULTS, K8sError,
  kubectlApply, LABEL_WORKLOAD, loadManifestFile, packageTee, parsePod, pollManifest, renderInstall, startWebhook, webhookConfigFactory,
  workloadInitdata, type InitdataAlgorithm, type InstallOptions, type LoadedManifest, type Pod,
} from '../../k8s/index.js';
import { parseManifest } from '../../manifest/index.js';
import { EXIT, UsageError } from '../exit.js';
import { readInputFile } from '../io.js';
import { VERSION } from '../version.js';

/**
 * `cloister k8s install | webhook | initdata` (docs/kubernetes.md). The commands only wire
 * flags, files, clock and randomness to src/k8s, which holds the logic.
 */
type Run = (fn: () => Promise<number>) => Promise<void>;
const text = (path: string, what: string): string => Buffer.from(readInputFile(path, what)).toString('utf8');
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const DEFAULT_EPC_HELP = 'EPC for SGX pods with neither a cloister.dev/epc annotation nor a manifest epcSize';

/** --initdata-algorithm: a bad flag value is a usage error (exit 2), not bad initdata. */
function algorithmFlag(alg: string): InitdataAlgorithm {
  try {
    return checkInitdataAlgorithm(alg);
  } catch (cause) {
    throw new UsageError('USAGE_ERROR', `--initdata-algorithm '${alg}' is not sha256, sha384 or sha512`, { cause });
  }
}

export function registerK8sCommands(program: Command, run: Run): void {
  const k8s = program.command('k8s').description('Kubernetes: install Cloister, run the admission webhook, compute Kata initdata');
  k8s
    .command('install')
    .description('print the Kubernetes objects for Cloister (namespace, coordinator, RBAC, webhook with generated TLS), or apply them')
    .option('--namespace <name>', 'namespace', INSTALL_DEFAULTS.namespace)
    .option('--image <image>', 'image with the cloister command', `cloister/cloister:${VERSION}`)
    .option('--launcher-image <image>', 'image with /cloister-launcher and cp (default: --image)')
    .option('--simulation', 'development only: coordinator and webhook accept the simulated TEE')
    .option('--sgx-plugin <name>', 'SGX device plugin: intel | aks | aks-legacy', INSTALL_DEFAULTS.sgxPlugin)
    .option('--default-epc <quantity>', DEFAULT_EPC_HELP, INSTALL_DEFAULTS.defaultEpc)
    .option('--gramine-loader <command>', 'Gramine-SGX loader that starts the launcher inside the enclave of SGX pods', INSTALL_DEFAULTS.gramineLoader)
    .option('--snp-runtime-class <name>', 'runtime class of SEV-SNP Kata pods', INSTALL_DEFAULTS.snpRuntimeClass)
    .option('--tdx-runtime-class <name>', 'runtime class of TDX Kata pods', INSTALL_DEFAULTS.tdxRuntimeClass)
    .option('--kata-policy <file>', 'Kata agent policy (Rego) for the initdata of confidential-VM pods')
    .option('--storage-size <size>', "size of the coordinator's state volume", INSTALL_DEFAULTS.storageSize)
    .option('--storage-class <name>', 'storage class of the state volume (default: the cluster default)')
    .option('--coordinator-runtime-class <name>', 'run the coordinator in a Kata confidential VM with this runtime class (required outside --simulation, or --coordinator-sgx)')
    .option('--coordinator-sgx', 'run the coordinator in an SGX enclave (its image ENTRYPOINT starts cloister under Gramine-SGX)')
    .option('--coordinator-image <image>', 'image of the coordinator (default: --image)')
    .option('--coordinator-epc <quantity>', 'EPC of an SGX coordinator', INSTALL_DEFAULTS.coordinatorEpc)
    .option('--sgx-node-selector <key=value>', 'node selector for SGX pods (repeatable)', collect)
    .option('--sgx-toleration <key[=value]:effect>', 'toleration for SGX pods (repeatable)', collect)
    .option('--cvm-node-selector <key=value>', 'node selector for confidential-VM pods (repeatable)', collect)
    .option('--cvm-toleration <key[=value]:effect>', 'toleration for confidential-VM pods (repeatable)', collect)
    .option('--initdata-algorithm <alg>', 'sha256 | sha384 | sha512', INSTALL_DEFAULTS.initdataAlgorithm)
    .option('--resolve-entrypoints', 'the webhook also reads entrypoints of images referenced by tag (digest-pinned ones always)')
    .option('--webhook-replicas <n>', 'webhook replicas', String(INSTALL_DEFAULTS.webhookReplicas))
    .option('--ha', 'high availability: 3 coordinator replicas sharing etcd, spread over nodes, with a PodDisruptionBudget (docs/ha.md)')
    .option('--etcd-endpoints <host:port,...>', 'with --ha: use this existing etcd instead of rendering a 3-member etcd StatefulSet')
    .option('--etcd-tls-secret <name>', 'with --etcd-endpoints: Secret with ca.crt, tls.crt, tls.key for TLS (and client-certificate auth) to that etcd')
    .option('--etcd-image <image>', `with --ha: image of the rendered etcd members (default ${DEFAULT_ETCD_IMAGE})`)
    .option('--apply', 'pipe the objects to `kubectl apply -f -` (your current kubectl context)')
    .option('--context <name>', 'kubectl context for --apply')
    .action((f: InstallFlags) => run(() => install(f)));

  k8s
    .command('webhook')
    .description('run the mutating admission webhook (HTTPS, AdmissionReview v1 at POST /mutate)')
    .requiredOption('--tls-cert <file>', 'certificate chain (PEM)')
    .requiredOption('--tls-key <file>', 'private key (PEM)')
    .requiredOption('--coordinator <url>', 'coordinator URL injected into pods (and attested, without --manifest)')
    .option('--manifest <file>', 'manifest file, re-read periodically (default: the attested manifest from --coordinator)')
    .requiredOption('--launcher-image <image>', 'image with /cloister-launcher and cp')
    .option('--listen <host:port>', 'address to listen on (port 1..65535)', '0.0.0.0:8443')
    .option('--simulation', 'development only: accept workloads of the simulated TEE (and a simulated coordinator)')
    .option('--sim-platform-key <pem...>', 'trusted simulated platform public key(s) of the coordinator')
    .option('--sgx-plugin <name>', 'SGX device plugin: intel | aks | aks-legacy', 'intel')
    .option('--default-epc <quantity>', DEFAULT_EPC_HELP, '256Mi')
    .option('--gramine-loader <command>', 'Gramine-SGX loader that starts the launcher inside the enclave of SGX pods', 'gramine-sgx')
    .option('--sgx-node-selector <key=value>', 'node selector for SGX pods (repeatable)', collect)
    .option('--sgx-toleration <key[=value]:effect>', 'toleration for SGX pods (repeatable)', collect)
    .option('--cvm-node-selector <key=value>', 'node selector for confidential-VM pods (repeatable)', collect)
    .option('--cvm-toleration <key[=value]:effect>', 'toleration for confidential-VM pods (repeatable)', collect)
    .option('--snp-runtime-class <name>', 'runtime class of SEV-SNP pods', 'kata-qemu-snp')
    .option('--tdx-runtime-class <name>', 'runtime class of TDX pods', 'kata-qemu-tdx')
    .option('--kata-policy <file>', 'Kata agent policy (Rego) for initdata the webhook builds')
    .option('--initdata-algorithm <alg>', 'sha256 | sha384 | sha512', 'sha256')
    .option('--refresh <seconds>', 'manifest re-read interval', '30')
    .option('--resolve-entrypoints', 'also read entrypoints of images referenced by tag (a tag can move before the pull)')
    .option('--plain-http-registry <host:port>', 'registry reached over plain HTTP (in-cluster mirror; repeatable)', collect)
    .option('--registry-timeout <ms>', 'time for reading one image entrypoint', '5000')
    .action((f: WebhookFlags) => run(() => webhook(f)));

  k8s
    .command('initdata')
    .description("print a confidential-VM pod's initdata digest and the manifest reference values (snp.hostData, tdx.mrConfigId)")
    .argument('<pod.yaml>', 'a Pod, or a Deployment/StatefulSet/Job (its pod template)')
    .option('--manifest <file>', 'manifest: names the workload\'s package in the printed snippet')
    .option('--coordinator <url>', 'coordinator URL the webhook injects (for pods without initdata)')
    .option('--kata-policy <file>', 'the webhook\'s Kata agent policy (for pods without initdata)')
    .option('--initdata-algorithm <alg>', 'sha256 | sha384 | sha512', 'sha256')
    .option('--annotation', 'also print the annotation value (base64 of gzip)')
    .option('--write-manifest <out>', "add the reference value to the workload package in --manifest and write it to OUT (same format)")
    .action((file: string, f: InitdataFlags) => run(() => initdata(file, f)));
}

interface InstallFlags {
  namespace: string; image: string; launcherImage?: string; simulation?: boolean; sgxPlugin: string; defaultEpc: string; gramineLoader: string;
  snpRuntimeClass: string; tdxRuntimeClass: string; kataPolicy?: string; storageSize: string; storageClass?: string;
  coordinatorRuntimeClass?: string; coordinatorSgx?: boolean; coordinatorImage?: string; coordinatorEpc: string;
  sgxNodeSelector?: string[]; sgxToleration?: string[]; cvmNodeSelector?: string[]; cvmToleration?: string[];
  initdataAlgorithm: string; resolveEntrypoints?: boolean; webhookReplicas: string; apply?: boolean; context?: string;
  ha?: boolean; etcdEndpoints?: string; etcdTlsSecret?: string; etcdImage?: string;
}

async function install(f: InstallFlags): Promise<number> {
  const opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [key]: v } as { [P in K]?: V }));
  const options: InstallOptions = {
    namespace: f.namespace, image: f.image, launcherImage: f.launcherImage ?? f.image, simulation: f.simulation === true,
    storageSize: f.storageSize, ...opt('storageClass', f.storageClass), ...opt('coordinatorRuntimeClass', f.coordinatorRuntimeClass),
    coordinatorSgx: f.coordinatorSgx === true, ...opt('coordinatorImage', f.coordinatorImage), coordinatorEpc: f.coordinatorEpc,
    webhookReplicas: /^\d+$/.test(f.webhookReplicas) ? Number(f.webhookReplicas) : NaN, sgxPlugin: checkSgxPlugin(f.sgxPlugin), defaultEpc: f.defaultEpc,
    gramineLoader: f.gramineLoader,
    snpRuntimeClass: f.snpRuntimeClass, tdxRuntimeClass: f.tdxRuntimeClass,
    ...opt('kataPolicy', f.kataPolicy === undefined ? undefined : text(f.kataPolicy, 'Kata policy')),
    sgxNodeSelector: f.sgxNodeSelector ?? [], sgxToleration: f.sgxToleration ?? [], cvmNodeSelector: f.cvmNodeSelector ?? [], cvmToleration: f.cvmToleration ?? [],
    initdataAlgorithm: f.initdataAlgorithm, resolveEntrypoints: f.resolveEntrypoints === true,
    ...(f.ha === true ? { ha: true } : {}), ...opt('etcdEndpoints', f.etcdEndpoints?.split(',')),
    ...opt('etcdTlsSecret', f.etcdTlsSecret), ...opt('etcdImage', f.etcdImage),
  };
  // every option is checked before any key is generated: a typo costs nothing and says what is
  // wrong (K8S_CONFIG_INVALID / K8S_QUANTITY_INVALID exit 2, src/cli/exit.ts)
  checkInstallOptions(options);
  const tls = await generateWebhookTls({ namespace: f.namespace, now: new Date() });
  const yaml = renderInstall(options, tls);
  if (f.apply === true) await kubectlApply(yaml, f.context === undefined ? {} : { context: f.context });
  else process.stdout.write(yaml);
  return EXIT.OK;
}

interface WebhookFlags {
  tlsCert: string; tlsKey: string; coordinator: string; manifest?: string; launcherImage: string; listen: string; simulation?: boolean;
  simPlatformKey?: string[]; sgxPlugin: string; defaultEpc: string; gramineLoader: string; sgxNodeSelector?: string[]; sgxToleration?: string[];
  cvmNodeSelector?: string[]; cvmToleration?: string[]; snpRuntimeClass: string; tdxRuntimeClass: string; kataPolicy?: string;
  initdataAlgorithm: string; refresh: string; resolveEntrypoints?: boolean; plainHttpRegistry?: string[]; registryTimeout: string;
}

async function webhook(f: WebhookFlags): Promise<number> {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(f.listen);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) throw new UsageError('USAGE_ERROR', `--listen '${f.listen}' is not HOST:PORT with a port in 1..65535`);
  const refreshS = Number(f.refresh);
  if (!(refreshS >= 1 && refreshS <= 3600)) throw new UsageError('USAGE_ERROR', `--refresh '${f.refresh}' is not 1..3600 seconds`);
  const registryTimeoutMs = Number(f.registryTimeout);
  if (!(Number.isInteger(registryTimeoutMs) && registryTimeoutMs >= 100 && registryTimeoutMs <= 9000)) {
    throw new UsageError('USAGE_ERROR', `--registry-timeout '${f.registryTimeout}' is not 100..9000 ms (the API server allows the webhook 10 s)`);
  }
  const factory = webhookConfigFactory({
    ...f, ...(f.kataPolicy === undefined ? {} : { kataPolicy: text(f.kataPolicy, 'Kata policy') }),
  });
  const tls = { certPem: text(f.tlsCert, 'TLS certificate'), keyPem: text(f.tlsKey, 'TLS key') };
  const log = (event: Record<string, unknown>, message: string): void => void process.stderr.write(`${JSON.stringify({ ...event, msg: message })}\n`);
  const keys = f.simPlatformKey?.map((p) => text(p, 'simulated platform key'));
  const load = (): Promise<LoadedManifest> =>
    f.manifest !== undefined
      ? loadManifestFile(f.manifest)
      : fetchAttestedManifest(f.coordinator, {
        simulation: f.simulation === true, ...(keys === undefined ? {} : { trustedPlatformKeys: keys }),
        now: new Date(), random: { bytes: (n) => new Uint8Array(randomBytes(n)) }, timeoutMs: 10_000,
      });
  const poller = pollManifest(load, {
    intervalMs: refreshS * 1000,
    onChange: (lm) => log({ manifestHash: lm.manifestHash }, 'manifest loaded'),
    onError: (e) => log({ code: (e as { code?: string }).code, error: (e as Error).message }, 'manifest not loaded'),
  });
  await poller.refresh();
  let server;
  try {
    server = await startWebhook({
      config: () => {
        const lm = poller.current();
        if (lm === undefined) throw new K8sError('K8S_MANIFEST_UNAVAILABLE', 'the webhook has no manifest yet (create the cloister-manifest ConfigMap, or set the coordinator\'s manifest)');
        return factory(lm);
      },
      tls,
      entrypoints: {
        registry: createRegistryClient({ timeoutMs: registryTimeoutMs, plainHttpHosts: f.plainHttpRegistry ?? [] }),
        resolveTags: f.resolveEntrypoints === true,
      },
      host: (m[1] ?? m[2])!, port, log,
    });
  } catch (e) {
    poller.stop(); // no timer left behind when listen or TLS fails
    throw e;
  }
  log({ url: server.url, simulation: f.simulation === true }, 'webhook listening');
  await new Promise<void>((resolve) => {
    const stop = (): void => void server.close().then(() => resolve());
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  poller.stop();
  return EXIT.OK;
}

interface InitdataFlags { manifest?: string; coordinator?: string; kataPolicy?: string; initdataAlgorithm: string; annotation?: boolean; writeManifest?: string }

async function initdata(file: string, f: InitdataFlags): Promise<number> {
  const pod = podFromFile(file);
  const workload = pod.metadata?.labels?.[LABEL_WORKLOAD];
  if (f.writeManifest !== undefined && (f.manifest === undefined || workload === undefined)) {
    throw new UsageError('USAGE_ERROR', `--write-manifest needs --manifest and a pod with the ${LABEL_WORKLOAD} label`);
  }
  const manifestText = f.manifest === undefined ? undefined : text(f.manifest, 'manifest');
  const lm = manifestText === undefined ? undefined : { manifest: parseManifest(manifestText) };
  let toml: string | Uint8Array;
  let source: string;
  const existing = pod.metadata?.annotations?.[ANNOTATION_KATA_INITDATA];
  if (existing !== undefined) {
    toml = decodeInitdataAnnotation(existing);
    source = `the pod's ${ANNOTATION_KATA_INITDATA} annotation`;
  } else {
    if (workload === undefined || f.coordinator === undefined || f.kataPolicy === undefined) {
      throw new UsageError('USAGE_ERROR', `the pod has no initdata annotation: give it the ${LABEL_WORKLOAD} label, and --coordinator and --kata-policy (as the webhook has)`);
    }
    const cvm = { policy: text(f.kataPolicy, 'Kata policy'), initdataAlgorithm: algorithmFlag(f.initdataAlgorithm) };
    toml = workloadInitdata({ coordinatorUrl: checkCoordinatorUrl(f.coordinator), cvm }, workload);
    source = `built as the webhook builds it for workload '${workload}'`;
  }
  const d = initdataDigest(toml);
  const bytes = typeof toml === 'string' ? Buffer.byteLength(toml) : toml.length;
  const pkgName = workload !== undefined && lm?.manifest.workloads[workload] !== undefined ? lm.manifest.workloads[workload].package : undefined;
  const tee = pkgName === undefined ? undefined : packageTee(lm!.manifest.packages[pkgName]!);
  if (tee === 'sgx' || tee === 'simulated') throw new UsageError('USAGE_ERROR', `workload '${workload}' uses package '${pkgName}' (${tee}), not a confidential VM: initdata does not apply`);
  const out = [`# initdata ${source}: ${bytes} bytes, algorithm ${d.algorithm}`, `# ${d.algorithm}: ${d.digest}`, '# manifest reference values (keep your measurements / mrtd in the package):', 'packages:', `  ${pkgName ?? 'PACKAGE'}:`];
  if (tee === undefined || tee === 'snp') out.push('    snp:', `      hostData: ["${d.snpHostData}"]`);
  if (tee === undefined || tee === 'tdx') out.push('    tdx:', `      mrConfigId: ["${d.tdxMrConfigId}"]`);
  if (f.annotation === true) out.push(`# ${ANNOTATION_KATA_INITDATA}: ${existing ?? encodeInitdataAnnotation(toml)}`);
  if (f.writeManifest !== undefined) {
    // exit 1 with K8S_WORKLOAD_UNKNOWN when the manifest lacks the workload: nothing is written
    const edit = addInitdataReference(manifestText!, workload!, d);
    writeOutput(f.writeManifest, edit.text);
    out.push(`# ${edit.added ? 'added to' : 'already in'} packages.${edit.package}.${edit.tee}.${edit.field}; wrote ${f.writeManifest}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.OK;
}

function writeOutput(path: string, content: string): void {
  try {
    writeFileSync(path, content);
  } catch (cause) {
    throw new UsageError('USAGE_ERROR', `cannot write '${path}' (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
}

/** The pod in a YAML file: a Pod, or the pod template of a workload object (first match). */
function podFromFile(file: string): Pod {
  const docs = parseAllDocuments(text(file, 'pod file'));
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new UsageError('USAGE_ERROR', `${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const obj = doc.toJS({ maxAliasCount: 100 }) as { kind?: string; spec?: { template?: unknown; jobTemplate?: { spec?: { template?: unknown } } } } | null;
    if (obj === null || typeof obj !== 'object') continue;
    if (obj.kind === 'Pod') return parsePod(obj);
    const template = obj.spec?.template ?? obj.spec?.jobTemplate?.spec?.template;
    if (template !== undefined) return parsePod(template);
  }
  throw new UsageError('USAGE_ERROR', `${file}: no Pod or pod template found`);
}
