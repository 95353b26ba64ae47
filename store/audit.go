package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// ChainHash computes the hash of rec chained to prevHash. It covers every
// field except Hash itself, so editing any stored field, or deleting or
// reordering records, breaks the chain. Backends call it on append; audit
// verification calls it again.
func ChainHash(prevHash string, rec AuditRecord) string {
	canonical := rec
	canonical.PrevHash = prevHash
	canonical.Hash = ""
	canonical.Time = rec.Time.UTC().Truncate(time.Microsecond)
	b, _ := json.Marshal(struct {
		Org string `json:"org"`
		AuditRecord
	}{rec.OrgID, canonical})
	sum := sha256.Sum256(append([]byte(prevHash), b...))
	return hex.EncodeToString(sum[:])
}
