import { Etcd3 } from 'etcd3';
import { startEtcdCluster } from '../test/support/etcd_cluster.js';
const t0 = Date.now();
const c = await startEtcdCluster();
console.log('started in', Date.now() - t0, c.endpoints);
const cl = new Etcd3({ hosts: c.endpoints.map(e => `http://${e}`) });
const r = await cl.kv.txn({ compare: [{ key: Buffer.from('/x/a'), target: 'Create', result: 'Equal', create_revision: 0 }], success: [{ request_put: { key: Buffer.from('/x/a'), value: Buffer.from('v') } }], failure: [{ request_range: { key: Buffer.from('/x/a'), keys_only: true } }] });
console.log(JSON.stringify(r));
const r2 = await cl.kv.txn({ compare: [{ key: Buffer.from('/x/a'), target: 'Create', result: 'Equal', create_revision: 0 }], success: [{ request_put: { key: Buffer.from('/x/a'), value: Buffer.from('v') } }], failure: [{ request_range: { key: Buffer.from('/x/a'), keys_only: true } }] });
console.log(JSON.stringify(r2));
const w = await cl.namespace('/x/').watch().prefix('').create();
w.on('put', (kv) => console.log('watch put', kv.key.toString(), kv.mod_revision));
await cl.put('/x/b').value('1');
await new Promise(r => setTimeout(r, 300));
await c.kill(0); await c.kill(1); await c.kill(2);
const cl2 = new Etcd3({ hosts: c.endpoints.map(e => `http://${e}`), faultHandling: { global: (await import('cockatiel')).noop } });
try { await cl2.kv.range({ key: Buffer.from('a') }, { deadline: new Date(Date.now() + 1000) }); } catch (e) { console.log('dead:', (e as Error).constructor.name, (e as Error).message); }
try { await cl2.kv.range({ key: Buffer.from('a') }, { deadline: new Date(Date.now() + 1000) }); } catch (e) { console.log('dead:', (e as Error).constructor.name, (e as Error).message); }
await c.restart(0, { waitHealthy: false });
await new Promise(r => setTimeout(r, 1500));
const cl3 = new Etcd3({ hosts: [c.endpoints[0]!], faultHandling: { global: (await import('cockatiel')).noop } });
const t1 = Date.now();
try { await cl3.kv.range({ key: Buffer.from('a') }, { deadline: new Date(Date.now() + 1000) }); } catch (e) { console.log('noquorum:', Date.now() - t1, (e as Error).constructor.name, (e as Error).message); }
try { await cl3.kv.txn({ success: [{ request_put: { key: Buffer.from('q'), value: Buffer.from('v') } }] }, { deadline: new Date(Date.now() + 1000) }); } catch (e) { console.log('noquorum txn:', Date.now() - t1, (e as Error).constructor.name, (e as Error).message); }
cl.close(); cl2.close(); cl3.close();
await c.stop();
