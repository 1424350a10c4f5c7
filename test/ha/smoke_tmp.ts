import { startDeployment, haManifest, setManifest } from './support/deployment.js';
import { call, activationBodies } from './support/ha_client.js';
import { Agent } from 'node:https';
const W = Number(process.env.W ?? 1);
const t0 = Date.now();
const d = await startDeployment({ replicas: 3 });
console.log('deployment up', Date.now() - t0);
const h = await setManifest(d, haManifest(d, Array.from({length: W}, (_, i) => `w${i}`)));
console.log('manifest', h, Date.now() - t0);
const bodies = activationBodies(d.platform, d.measurement);
const agents = d.replicas.map(() => process.env.KA ? new Agent({ keepAlive: true, ca: d.root, maxSockets: 8 }) : undefined);
let okc = 0; const codes: Record<string, number> = {};
const t1 = Date.now();
await Promise.all(Array.from({ length: 8 }, async (_, w) => {
  for (let i = 0; i < 25; i++) {
    const ri = (w + i) % 3; const r = d.replicas[ri]!; const ag = agents[ri] ? { agent: agents[ri] } : {};
    const n = await call(r.url, 'POST', '/api/v1/nonce', {}, { ca: d.root, ...ag });
    if (n.kind !== 'answer') { codes[n.code] = (codes[n.code] ?? 0) + 1; continue; }
    const { body } = await bodies(`w${w % W}`, String(n.json.nonce));
    const a = await call(r.url, 'POST', '/api/v1/activate', body, { ca: d.root, ...ag });
    const c = a.kind === 'transport' ? a.code : String(a.status) + (a.json.code ?? '');
    codes[c] = (codes[c] ?? 0) + 1;
  }
}));
console.log('200 activations', Date.now() - t1, codes);
for (const r of d.replicas) { const s = await call(r.url, 'GET', '/api/v1/status', undefined, { ca: d.root }); console.log(r.name, JSON.stringify(s)); }
for (const a of agents) a?.destroy();
await d.close();
