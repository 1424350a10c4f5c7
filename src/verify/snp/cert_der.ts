import { DER_TAG, children, expectTag, readNode, whole } from '../../common/der.js';

/** The DER of a certificate's subject Name (TBSCertificate field 6, after the optional [0] version). */
export function subjectDer(certDer: Uint8Array): Uint8Array {
  const cert = expectTag(readNode(certDer, 0), DER_TAG.SEQUENCE, 'Certificate');
  const tbs = children(certDer, cert)[0];
  const parts = tbs === undefined ? [] : children(certDer, tbs);
  const first = parts[0]?.tag === 0xa0 ? 1 : 0;
  const subject = parts[first + 4];
  return subject === undefined ? new Uint8Array(0) : whole(certDer, subject);
}
