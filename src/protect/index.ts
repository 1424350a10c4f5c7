/** Public API of protected volumes (the only path other layers import). */
export { PROTECT_CODES, type ProtectCode } from './codes.js';
export { ProtectError } from './errors.js';
export { memoryVersionAuthority, type VersionAuthority, type VolumeState } from './authority.js';
export { fileVersionAuthority, VERSIONS_FORMAT } from './file_authority.js';
export { openProtectedVolume, type ProtectedVolume, type ProtectedVolumeOptions } from './volume.js';
export { GENESIS_HASH } from './manifest.js';
export { checkVolumeId, checkVolumePath, MAX_PATH_BYTES } from './names.js';
export { peekVolumeId } from './peek.js';
