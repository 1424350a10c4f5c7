import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildProgram } from '../../src/cli/main.js';
import { etcdMemberEndpoints, INSTALL_DEFAULTS, renderInstall, renderInstallObjects, type InstallOptions, type WebhookTls } from '../../src/k8s/index.js';
import { parseEtcdOptions } from '../../src/store/etcd_options.js';
import { parseStoreUrl } from '../../src/store/index.js';
import { assertThrowsCode } from '../support/assert_code.js';
import { validateStrict } from './support/strict_schema.js';

/**
 * `cloister k8s install --ha` (issue #8): the structure the golden files (install.test.ts,
 * deploy/golden/install-ha*.yaml) pin byte for byte, checked here by meaning: replicas,
 * spreading, disruption budgets, the --store flag the coordinator gets, and an etcd cluster whose
 * members can find each other.
 */
const TLS: WebhookTls = { certChainPem: 'chain', keyPem: 'key', caPem: 'ca', notAfter: new Date('2027-01-01T00:00:00Z') };
const BASE: InstallOptions = {
  ...INSTALL_DEFAULTS, image: 'cloister/cloister:0.1.0', launcherImage: 'cloister/cloister:0.1.0', simulation: false, coordinatorRuntimeClass: 'kata-qemu-snp',
};
const HA: InstallOptions = { ...BASE, namespace: 'conf', ha: true };
const EXTERNAL: InstallOptions = { ...HA, etcdEndpoints: ['etcd-a:2379', '10.0.0.7:2379'], etcdTlsSecret: 'etcd-client' };

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels: Record<string, string> }; spec: any };
const render = (o: InstallOptions) => renderInstallObjects(o, TLS) as Obj[];
const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o !== undefined, `${kind}/${name} is rendered`);
  return o;
};
const argAfter = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('k8s install --ha', () => {
  test('without --ha nothing changes: one replica, the file store, no budget, no etcd', () => {
    const plain = render(BASE);
    assert.deepEqual(render({ ...BASE, ha: false }), plain);
    assert.equal(renderInstall({ ...BASE, ha: false }, TLS), renderInstall(BASE, TLS));
    const sts = find(plain, 'StatefulSet', 'cloister-coordinator');
    assert.equal(sts.spec.replicas, 1);
    assert.equal(sts.spec.template.spec.affinity, undefined);
    assert.ok(!sts.spec.template.spec.containers[0].args.includes('--store'));
    assert.deepEqual(plain.filter((o) => /PodDisruptionBudget|NetworkPolicy/.test(o.kind) || o.metadata.name.includes('etcd')), []);
  });

  test('3 coordinator replicas, one per node, a budget of 2, ready on /healthz', () => {
    const objs = render(HA);
    const sts = find(objs, 'StatefulSet', 'cloister-coordinator');
    const labels = sts.spec.selector.matchLabels;
    assert.deepEqual([sts.spec.replicas, sts.spec.podManagementPolicy], [3, 'Parallel']);
    const anti = sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    assert.deepEqual(anti, [{ labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' }]);
    const c = sts.spec.template.spec.containers[0];
    assert.equal(c.readinessProbe.httpGet.path, '/healthz');
    const pdb = find(objs, 'PodDisruptionBudget', 'cloister-coordinator');
    assert.deepEqual(pdb.spec, { minAvailable: 2, selector: { matchLabels: labels } });
    // the Service still selects every replica; each keeps its own state volume for --state-dir
    assert.deepEqual(find(objs, 'Service', 'cloister-coordinator').spec.selector, labels);
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'state');
    for (const o of objs) validateStrict(o);
  });

  test("the coordinator's --store is a URL its own parser accepts, naming every rendered etcd member", () => {
    const objs = render(HA);
    const args: string[] = find(objs, 'StatefulSet', 'cloister-coordinator').spec.template.spec.containers[0].args;
    const store = parseStoreUrl(argAfter(args, '--store')!);
    assert.ok(store.kind === 'etcd');
    assert.deepEqual(store.options.endpoints, etcdMemberEndpoints('conf'));
    assert.deepEqual(store.options.endpoints, ['cloister-etcd-0.cloister-etcd.conf.svc:2379', 'cloister-etcd-1.cloister-etcd.conf.svc:2379', 'cloister-etcd-2.cloister-etcd.conf.svc:2379']);
    assert.equal(parseEtcdOptions(store.options).secure, false);
    const start = buildProgram().commands.find((c) => c.name() === 'coordinator')!.commands.find((c) => c.name() === 'start')!;
    const known = new Set(start.options.map((o) => o.long));
    for (const a of args.filter((x) => x.startsWith('--'))) assert.ok(known.has(a), a);
  });

  test('the etcd cluster: members named by the headless Service, one volume each, spread, quorum kept, reachable from coordinators only', () => {
    const objs = render(HA);
    const sts = find(objs, 'StatefulSet', 'cloister-etcd');
    const headless = find(objs, 'Service', 'cloister-etcd');
    const client = find(objs, 'Service', 'cloister-etcd-client');
    const labels = sts.spec.selector.matchLabels;
    assert.deepEqual([sts.spec.replicas, sts.spec.serviceName, sts.spec.podManagementPolicy], [3, 'cloister-etcd', 'Parallel']);
    assert.deepEqual([headless.spec.clusterIP, headless.spec.publishNotReadyAddresses, headless.spec.selector], ['None', true, labels]);
    assert.deepEqual(headless.spec.ports.map((p: any) => p.port), [2379, 2380]);
    assert.deepEqual([client.spec.type, client.spec.ports.map((p: any) => p.port), client.spec.selector], ['ClusterIP', [2379], labels]);
    const c = sts.spec.template.spec.containers[0];
    const flag = (name: string) => c.args.find((a: string) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
    // every --initial-cluster entry is `<pod name>=http://<pod>.<headless service>.<ns>.svc:2380` of this StatefulSet
    const peers = flag('initial-cluster').split(',');
    assert.deepEqual(peers, [0, 1, 2].map((i) => `cloister-etcd-${i}=http://cloister-etcd-${i}.cloister-etcd.conf.svc:2380`));
    assert.equal(flag('name'), '$(POD_NAME)');
    assert.equal(flag('initial-advertise-peer-urls'), 'http://$(POD_NAME).cloister-etcd.conf.svc:2380');
    assert.equal(flag('advertise-client-urls'), 'http://$(POD_NAME).cloister-etcd.conf.svc:2379');
    assert.deepEqual(c.env, [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    assert.ok(flag('data-dir').startsWith(c.volumeMounts[0].mountPath));
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, c.volumeMounts[0].name);
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, undefined);
    assert.equal(render({ ...HA, storageClass: 'fast' }).find((o) => o.metadata.name === 'cloister-etcd' && o.kind === 'StatefulSet')!.spec.volumeClaimTemplates[0].spec.storageClassName, 'fast');
    assert.equal(sts.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual([c.securityContext.readOnlyRootFilesystem, sts.spec.template.spec.securityContext.runAsNonRoot], [true, true]);
    assert.deepEqual(find(objs, 'PodDisruptionBudget', 'cloister-etcd').spec, { minAvailable: 2, selector: { matchLabels: labels } });
    const np = find(objs, 'NetworkPolicy', 'cloister-etcd');
    assert.deepEqual(np.spec.podSelector.matchLabels, labels);
    const coordinatorLabels = find(objs, 'StatefulSet', 'cloister-coordinator').spec.selector.matchLabels;
    assert.deepEqual(np.spec.ingress[0], { from: [{ podSelector: { matchLabels: coordinatorLabels } }], ports: [{ protocol: 'TCP', port: 2379 }] });
    // etcd before the coordinator in apply order
    assert.ok(objs.indexOf(sts) < objs.indexOf(find(objs, 'StatefulSet', 'cloister-coordinator')));
    assert.equal(c.image, 'gcr.io/etcd-development/etcd:v3.5.21');
    assert.equal(find(render({ ...HA, etcdImage: 'mirror.example/etcd:v3.5.21' }), 'StatefulSet', 'cloister-etcd').spec.template.spec.containers[0].image, 'mirror.example/etcd:v3.5.21');
  });

  test('--etcd-endpoints: no etcd rendered; --etcd-tls-secret mounts the Secret and makes the URL etcds://', () => {
    const plainExternal = render({ ...HA, etcdEndpoints: ['etcd-a:2379'] });
    assert.deepEqual(plainExternal.filter((o) => o.metadata.name.includes('etcd')), []);
    const objs = render(EXTERNAL);
    assert.deepEqual(objs.filter((o) => o.metadata.name.includes('etcd')), []);
    const pod = find(objs, 'StatefulSet', 'cloister-coordinator').spec.template.spec;
    const args: string[] = pod.containers[0].args;
    assert.equal(argAfter(args, '--store'), 'etcds://etcd-a:2379,10.0.0.7:2379');
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'etcd-tls');
    assert.deepEqual(pod.volumes, [{ name: 'etcd-tls', secret: { secretName: 'etcd-client', defaultMode: 0o440 } }]);
    assert.equal(mount.readOnly, true);
    for (const f of ['--etcd-ca', '--etcd-cert', '--etcd-key']) assert.ok(argAfter(args, f)!.startsWith(`${mount.mountPath}/`), f);
    assert.equal(find(objs, 'PodDisruptionBudget', 'cloister-coordinator').spec.minAvailable, 2);
    for (const o of objs) validateStrict(o);
  });

  test("'cloister k8s install' has the HA flags", () => {
    const install = buildProgram().commands.find((c) => c.name() === 'k8s')!.commands.find((c) => c.name() === 'install')!;
    const known = new Set(install.options.map((o) => o.long));
    for (const f of ['--ha', '--etcd-endpoints', '--etcd-tls-secret', '--etcd-image']) assert.ok(known.has(f), f);
  });

  test('invalid HA options are refused before anything is rendered', () => {
    const bad: Array<Partial<InstallOptions>> = [
      { ha: false, etcdEndpoints: ['etcd:2379'] }, { etcdEndpoints: ['etcd:2379'] }, { etcdTlsSecret: 's' }, { etcdImage: 'etcd:v3' },
      { ha: true, etcdEndpoints: [] }, { ha: true, etcdEndpoints: ['etcd'] }, { ha: true, etcdEndpoints: ['etcd:99999'] },
      { ha: true, etcdEndpoints: ['etcd:2379', 'etcd:2379'] }, { ha: true, etcdEndpoints: ['user@etcd:2379'] }, { ha: true, etcdEndpoints: ['http://etcd:2379'] },
      { ha: true, etcdEndpoints: ['etcd:2379/x/'] }, { ha: true, etcdEndpoints: ['etcd:2379/'] }, { ha: true, etcdEndpoints: ['etcd:2379,'] }, { ha: true, etcdEndpoints: ['a:1,b:2'] },
      { ha: true, etcdTlsSecret: 'etcd-client' }, { ha: true, etcdEndpoints: ['etcd:2379'], etcdTlsSecret: 'Not_A_Name' },
      { ha: true, etcdEndpoints: ['etcd:2379'], etcdImage: 'etcd:v3' }, { ha: true, etcdImage: 'has space' },
    ];
    for (const b of bad) assertThrowsCode(() => render({ ...BASE, ...b }), 'K8S_CONFIG_INVALID', JSON.stringify(b));
  });
});
