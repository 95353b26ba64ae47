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
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

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

// Publisher signs every organisation's chain head periodically into a
// directory (one file per checkpoint, as 'folkevakt audit checkpoint'
// writes them) and serves that directory read-only over HTTP.
type Publisher struct {
	Store    store.Store
	Key      ed25519.PrivateKey
	Dir      string
	Interval time.Duration
	Logger   *slog.Logger

	tracker *Tracker
	last    map[string]int64 // newest published seq by organisation id
}

// Run publishes at once and then every Interval until ctx ends. A new
// checkpoint is written only for an organisation whose chain has grown.
func (p *Publisher) Run(ctx context.Context) {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	p.tracker, p.last = NewTracker(), map[string]int64{}
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		p.Logger.Error("audit checkpoints: cannot create their directory", "err", err)
	}
	if err := os.WriteFile(filepath.Join(p.Dir, PublicKeyFile), PublicKeyPEM(p.Key.Public().(ed25519.PublicKey)), 0o644); err != nil {
		p.Logger.Error("audit checkpoints: cannot write the public key", "err", err)
	}
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		if err := p.PublishOnce(ctx); err != nil && ctx.Err() == nil {
			p.Logger.Error("audit checkpoints failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PublishOnce writes a checkpoint for every organisation whose chain grew
// since the last one.
func (p *Publisher) PublishOnce(ctx context.Context) error {
	if p.tracker == nil {
		p.tracker, p.last = NewTracker(), map[string]int64{}
	}
	orgs, err := p.Store.ListOrganisations(ctx)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		h, err := p.tracker.Head(ctx, p.Store, o.ID)
		if err != nil {
			return err
		}
		if h.Seq == 0 || h.Seq == p.last[o.ID] {
			continue
		}
		c := Sign(p.Key, Checkpoint{OrgNumber: o.OrgNumber, OrgID: o.ID, Seq: h.Seq, Hash: h.Hash, Time: time.Now()})
		if err := WriteFile(p.Dir, c); err != nil {
			return err
		}
		p.last[o.ID] = h.Seq
		p.Logger.Info("audit checkpoint signed", "org_id", o.ID, "seq", h.Seq)
	}
	return nil
}

// Mount serves, without authentication (checkpoints hold no personal data
// and are meant for outsiders):
//
//	GET /audit/checkpoints/public-key.pem   the public key
//	GET /audit/checkpoints/:orgNumber       the organisation's checkpoints, oldest first
//	GET /audit/checkpoints/:orgNumber/latest its newest checkpoint
func (p *Publisher) Mount(r *gin.Engine) {
	r.GET("/audit/checkpoints/:org", func(c *gin.Context) {
		if c.Param("org") == PublicKeyFile {
			c.Data(http.StatusOK, "application/x-pem-file", PublicKeyPEM(p.Key.Public().(ed25519.PublicKey)))
			return
		}
		cps, ok := p.orgCheckpoints(c)
		if ok {
			c.JSON(http.StatusOK, cps)
		}
	})
	r.GET("/audit/checkpoints/:org/latest", func(c *gin.Context) {
		cps, ok := p.orgCheckpoints(c)
		if !ok {
			return
		}
		if len(cps) == 0 {
			c.JSON(http.StatusNotFound, gin.H{"error": "not-found", "message": "no checkpoint yet"})
			return
		}
		c.JSON(http.StatusOK, cps[len(cps)-1])
	})
}

func (p *Publisher) orgCheckpoints(c *gin.Context) ([]Checkpoint, bool) {
	org := c.Param("org")
	if len(org) != 9 || strings.Trim(org, "0123456789") != "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "invalid", "message": "want a 9-digit organisation number"})
		return nil, false
	}
	all, err := ReadDir(p.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		p.Logger.Error("audit checkpoints: read", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "unavailable", "message": "checkpoints cannot be read now"})
		return nil, false
	}
	out := []Checkpoint{}
	for _, cp := range all {
		if cp.OrgNumber == org {
			out = append(out, cp)
		}
	}
	return out, true
}
