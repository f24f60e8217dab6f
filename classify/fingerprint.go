package classify

import (
	"crypto/sha256"
	"encoding/hex"
)

// FingerprintVersion prefixes every fingerprint. Bump it when Normalize or
// the fingerprint input changes, so old and new fingerprints never collide;
// a rules-version change makes the next classify run recompute signatures.
const FingerprintVersion = "v2"

// Fingerprint is the versioned hash of a normalized template:
// "v1:" followed by the first 16 bytes of its SHA-256, in hex.
func Fingerprint(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return FingerprintVersion + ":" + hex.EncodeToString(sum[:16])
}
