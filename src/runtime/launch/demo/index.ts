/** Building blocks of `cloister demo` (src/cli/commands/demo.ts): manifest, child launchers, probes, checks. */
export { renderDemoManifest, DEMO_PATH_PREFIX, DEMO_WORKLOADS, type DemoWorkload, type RenderedDemoManifest } from './demo_manifest.js';
export { startWorkloadProcess, type WorkloadProcess, type WorkloadProcessOptions } from './workload_process.js';
export { probeHttps, impostorCertificate, CLIENT_SIDE_TLS_ERRORS, type ProbeResult } from './probe.js';
export { createChecklist, type Checklist } from './checklist.js';
export { unattestedCallerRefused, impostorRefused, tamperedProgramRefused, volumeEncrypted } from './refusals.js';
