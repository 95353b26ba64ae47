package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// fetchTimeout bounds one discovery or JWKS request.
	fetchTimeout = 5 * time.Second
	// refreshInterval: keys older than this are refetched on the next use,
	// so a key the issuer withdrew stops working within it.
	refreshInterval = time.Hour
	// minFetchInterval rate-limits fetches (unknown kids, a down issuer):
	// a flood of forged kids costs the issuer one request per interval.
	minFetchInterval = 30 * time.Second
	maxDocumentBytes = 1 << 20
	minRSABits       = 2048
)

// remoteKeys caches the signing keys of a remote issuer, fetched through
// its discovery document.
type remoteKeys struct {
	issuer    string
	discovery string
	client    *http.Client
	logger    *slog.Logger
	now       func() time.Time

	fetchMu   sync.Mutex // one fetch at a time
	attempted time.Time  // last fetch attempt; guarded by fetchMu
	lastErr   error      // of that attempt; guarded by fetchMu

	mu      sync.RWMutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time // last successful fetch

	refreshing atomic.Bool    // a background refresh is running
	background sync.WaitGroup // background refreshes, for tests
}

func newRemoteKeys(c Config, kind, issuerURL string) (*remoteKeys, error) {
	if err := checkIssuerURL(issuerURL); err != nil {
		return nil, err
	}
	well := "/.well-known/openid-configuration"
	if kind == kindMaskinporten {
		well = "/.well-known/oauth-authorization-server"
	}
	return &remoteKeys{
		issuer:    issuerURL,
		discovery: trimSlash(issuerURL) + well,
		client:    c.HTTPClient,
		logger:    c.Logger.With("issuer", issuerURL),
		now:       c.Now,
	}, nil
}

func checkIssuerURL(issuerURL string) error {
	u, err := url.Parse(issuerURL)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("issuer is not a URL")
	}
	// Keys fetched over plain HTTP could be replaced in transit; only a
	// local test issuer may use it.
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return errors.New("issuer URL must use https")
	}
	return nil
}

// ValidOIDCIssuer reports whether setting names an employee issuer:
// "dev", "dev:<name>" (lower-case letters, digits, hyphens) or an https
// issuer URL.
func ValidOIDCIssuer(setting string) error {
	if _, _, ok := devOIDCSetting(setting); ok {
		return nil
	}
	if strings.HasPrefix(setting, DevTenantPrefix) {
		return errors.New("a dev tenant is dev:<name> with 1 to 32 lower-case letters, digits or hyphens")
	}
	return checkIssuerURL(setting)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// prime fetches the keys once at start; failure is logged and not fatal.
func (r *remoteKeys) prime(ctx context.Context) { _ = r.refresh(ctx) }

func (r *remoteKeys) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	r.mu.RLock()
	k, ok := r.keys[kid]
	stale := r.now().Sub(r.fetched) >= refreshInterval
	r.mu.RUnlock()
	if ok {
		// A known key is served at once; a stale set is refreshed behind the
		// request so that a slow or down issuer never stalls callers.
		if stale && r.refreshing.CompareAndSwap(false, true) {
			r.background.Add(1)
			go func() {
				defer r.background.Done()
				defer r.refreshing.Store(false)
				_ = r.refresh(context.WithoutCancel(ctx))
			}()
		}
		return k, nil
	}
	// An unknown kid may be a rotated key: refetch (rate-limited).
	err := r.refresh(ctx)
	r.mu.RLock()
	k, ok = r.keys[kid]
	r.mu.RUnlock()
	switch {
	case ok:
		return k, nil
	case err != nil && !errors.Is(err, errRateLimited):
		return nil, errKeysUnavailable
	}
	return nil, errUnknownKey
}

var errRateLimited = errors.New("fetched recently")

// refresh fetches the key set unless a fetch was attempted within
// minFetchInterval; then it returns that attempt's error, or errRateLimited
// if it succeeded.
func (r *remoteKeys) refresh(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	now := r.now()
	if !r.attempted.IsZero() && now.Sub(r.attempted) < minFetchInterval {
		if r.lastErr != nil {
			return r.lastErr
		}
		return errRateLimited
	}
	r.attempted = now
	// The fetch outlives a cancelled request: its result serves everyone.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	keys, err := r.fetch(ctx)
	r.lastErr = err
	if err != nil {
		r.logger.Warn("issuer keys unavailable", "err", err)
		return err
	}
	r.mu.Lock()
	r.keys, r.fetched = keys, now
	r.mu.Unlock()
	r.logger.Info("issuer keys loaded", "keys", len(keys))
	return nil
}

func (r *remoteKeys) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := r.getJSON(ctx, r.discovery, &doc); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	// A discovery document for another issuer means misconfiguration (or an
	// impostor); its keys must not be trusted for this one.
	if doc.Issuer != r.issuer {
		return nil, fmt.Errorf("discovery: issuer %q is not the configured one", doc.Issuer)
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return nil, errors.New("discovery: jwks_uri is not an https URL")
	}
	var set jwks
	if err := r.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pub, err := rsaKey(k)
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: no usable RS256 keys")
	}
	return keys, nil
}

func (r *remoteKeys) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxDocumentBytes {
		return errors.New("document too large")
	}
	return json.Unmarshal(b, v)
}

func rsaKey(k jwk) (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.N.BitLen() < minRSABits || pub.E < 3 || pub.E%2 == 0 {
		return nil, errors.New("weak key")
	}
	return pub, nil
}
