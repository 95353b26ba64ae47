// Package checkpoint signs and checks audit checkpoints: an Ed25519
// signature over an organisation's audit chain head (sequence number, hash
// of the record there, time). A checkpoint kept outside folkevakt (mailed,
// archived, held by another organisation) proves later that the log still
// extends it: nobody, the operator included, can rewrite or drop a record
// at or before its sequence number without the checkpoint's hash failing
// to match, nor forge a checkpoint without the private key.
package checkpoint

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"folkevakt/store"
)

// Checkpoint is one signed chain head. Files and the HTTP endpoint carry it
// as JSON.
type Checkpoint struct {
	Version   int       `json:"version"`
	OrgNumber string    `json:"orgNumber"`
	OrgID     string    `json:"orgId"`
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	Time      time.Time `json:"time"`
	KeyID     string    `json:"keyId"`
	Signature string    `json:"signature"` // base64 Ed25519 over Payload
}

// Payload is the exact byte string that is signed: every field but the
// signature, one per line, so that no encoding question can make two
// readings of it.
func (c Checkpoint) Payload() []byte {
	return []byte(fmt.Sprintf("folkevakt-audit-checkpoint-v1\n%s\n%s\n%d\n%s\n%s\n%s\n",
		c.OrgNumber, c.OrgID, c.Seq, c.Hash, c.Time.UTC().Format(time.RFC3339Nano), c.KeyID))
}

// FileName is the checkpoint's file name in an export directory; names sort
// by organisation and sequence number.
func (c Checkpoint) FileName() string {
	return fmt.Sprintf("%s-%012d.json", c.OrgNumber, c.Seq)
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign fills KeyID, Version and Signature.
func Sign(key ed25519.PrivateKey, c Checkpoint) Checkpoint {
	c.Version = 1
	c.Time = c.Time.UTC()
	c.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, c.Payload()))
	return c
}

// Verify checks the signature with pub.
func Verify(pub ed25519.PublicKey, c Checkpoint) error {
	if c.Version != 1 {
		return fmt.Errorf("version %d is not 1", c.Version)
	}
	if c.KeyID != KeyID(pub) {
		return fmt.Errorf("signed by key %s, not by %s", c.KeyID, KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || !ed25519.Verify(pub, c.Payload(), sig) {
		return errors.New("signature does not verify (forged or altered checkpoint)")
	}
	return nil
}

// KeyFile is the signing key's file name in the data directory.
const KeyFile = "audit-checkpoint-key.pem"

// LoadOrCreateKey reads the PKCS #8 PEM Ed25519 key at path, creating it
// (mode 0600) when create is set and it does not exist.
func LoadOrCreateKey(path string, create bool) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		_, key, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, gerr
		}
		der, merr := x509.MarshalPKCS8PrivateKey(key)
		if merr != nil {
			return nil, merr
		}
		b = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := writeFileAtomic(path, b, 0o600); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return key, nil
}

// PublicKeyPEM encodes pub as a PEM public key (PKIX).
func PublicKeyPEM(pub ed25519.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKeyPEM reads what PublicKeyPEM wrote.
func ParsePublicKeyPEM(b []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("not an Ed25519 public key")
	}
	return pub, nil
}

// PublicKeyFile is the public key's name in an export directory.
const PublicKeyFile = "public-key.pem"

// Head is the newest record of an organisation's chain.
type Head struct {
	Seq  int64
	Hash string
}

// Tracker follows an organisation's chain head by reading only the records
// appended since the last call.
type Tracker struct {
	heads map[string]Head // by organisation id
}

// NewTracker returns a tracker that knows no heads yet.
func NewTracker() *Tracker { return &Tracker{heads: map[string]Head{}} }

// Head returns the organisation's current chain head (Seq 0 for an empty
// log).
func (t *Tracker) Head(ctx context.Context, st store.Store, orgID string) (Head, error) {
	h := t.heads[orgID]
	err := st.Tenant(orgID).ScanAudit(ctx, h.Seq, func(r store.AuditRecord) error {
		h = Head{Seq: r.Seq, Hash: r.Hash}
		return nil
	})
	if err != nil {
		return Head{}, err
	}
	t.heads[orgID] = h
	return h, nil
}

// WriteFile writes c into dir as FileName (atomically, 0644: a checkpoint
// holds no personal data and is meant to be shared).
func WriteFile(dir string, c Checkpoint) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, c.FileName()), append(b, '\n'), 0o644)
}

// ReadDir reads every *.json checkpoint in dir, in file-name order.
func ReadDir(dir string) ([]Checkpoint, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Checkpoint
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var c Checkpoint
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Check proves that an organisation's log extends every checkpoint:
// hashAt returns the hash of the record at seq as the log holds it now (and
// false past its end). Each checkpoint must verify under pub, belong to the
// organisation, follow the previous one in both sequence and time, and name
// the hash the log holds at its sequence number. It returns one problem
// per failing checkpoint.
func Check(pub ed25519.PublicKey, orgID string, cps []Checkpoint, hashAt func(seq int64) (string, bool)) []string {
	slices.SortStableFunc(cps, func(a, b Checkpoint) int { return int(a.Seq - b.Seq) })
	var problems []string
	var prev *Checkpoint
	for i := range cps {
		c := cps[i]
		name := "checkpoint seq " + strconv.FormatInt(c.Seq, 10)
		if err := Verify(pub, c); err != nil {
			problems = append(problems, name+": "+err.Error())
			continue
		}
		if c.OrgID != orgID {
			problems = append(problems, name+": belongs to another organisation")
			continue
		}
		if prev != nil && (c.Seq == prev.Seq && c.Hash != prev.Hash) {
			problems = append(problems, name+": two checkpoints name different hashes for the same record")
		}
		if prev != nil && c.Time.Before(prev.Time) {
			problems = append(problems, fmt.Sprintf("%s: dated %s, before checkpoint seq %d (%s): reordered",
				name, c.Time.Format(time.RFC3339), prev.Seq, prev.Time.Format(time.RFC3339)))
		}
		prev = &cps[i]
		h, ok := hashAt(c.Seq)
		switch {
		case c.Seq == 0:
		case !ok:
			problems = append(problems, name+": the log ends before it (records removed)")
		case h != c.Hash:
			problems = append(problems, name+": the log holds another record there (rewritten after the checkpoint)")
		}
	}
	return problems
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Recompute walks an organisation's log and returns, for each seq in want,
// the hash that the records up to it produce now, computed afresh (not read
// from the stored Hash column), so that any record changed at or before seq
// changes it, whatever else was rewritten to hide the change. It goes on
// past breaks in the stored chain; that verifying the chain finds them.
func Recompute(ctx context.Context, t store.Tenant, orgID string, want map[int64]bool) (map[int64]string, error) {
	out := map[int64]string{}
	prev := ""
	var expect int64 = 1
	err := t.ScanAudit(ctx, 0, func(r store.AuditRecord) error {
		if r.Seq != expect {
			return errGap
		}
		expect++
		r.OrgID = orgID
		prev = store.ChainHash(prev, r)
		if want[r.Seq] {
			out[r.Seq] = prev
		}
		return nil
	})
	if errors.Is(err, errGap) {
		err = nil // the checkpoints past the gap find no hash: "the log ends before it"
	}
	return out, err
}

var errGap = errors.New("gap in the log")
