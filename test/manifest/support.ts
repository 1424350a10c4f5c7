/** Small valid manifests for manifest tests (plain objects, so tests can break one field at a time). */
export const M48 = 'ab'.repeat(48);
export const M32 = 'cd'.repeat(32);

export function baseManifest(): Record<string, any> {
  return {
    packages: { app: { simulated: { measurements: [M48] } } },
    workloads: {
      api: {
        package: 'app',
        files: { '/etc/app/key': '{{ secrets.k.hex }}' },
        env: { NAME: '{{ workload.name }}' },
        argv: ['/app', '--id', '{{ instance.id }}'],
      },
      db: { package: 'app' },
    },
    secrets: { k: { type: 'symmetric-key', size: 256 }, pw: { type: 'user' }, tls: { type: 'certificate', keyType: 'ecdsa-p256', validity: '7d' } },
    connections: [{ from: 'api', to: 'db' }],
  };
}
