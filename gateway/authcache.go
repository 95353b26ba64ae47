package gateway

import (
	"crypto/sha256"
	"sync"
	"time"

	"folkevakt/gateway/auth"
)

// machineCache remembers successful machine authentications for a short
// time. Verifying a Maskinporten token (RSA) and resolving the integration
// cost more than the rest of a lookup; a fagsystem sends the same
// credentials on every request. The key covers every credential, so a
// changed password or token misses, and any change to an integration
// (password rotation, deletion) empties the cache at once (see forget), so
// an old password stops working on the next request. Grants are checked by
// the policy on every request. Only a token that expires inside the TTL
// may be honoured up to that long after its exp.
type machineCache struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[[32]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p       auth.Principal
	expires time.Time
}

// machineCacheMax bounds memory; the map is cleared when it is full.
const machineCacheMax = 4096

func newMachineCache(ttl time.Duration, now func() time.Time) *machineCache {
	return &machineCache{ttl: ttl, now: now, m: map[[32]byte]cachedPrincipal{}}
}

func machineKey(integrationID, password, bearer string) [32]byte {
	// Built on the stack for the usual sizes: this runs on every request.
	buf := make([]byte, 0, 2048)
	buf = append(buf, integrationID...)
	buf = append(buf, 0)
	buf = append(buf, password...)
	buf = append(buf, 0)
	buf = append(buf, bearer...)
	return sha256.Sum256(buf)
}

func (c *machineCache) get(k [32]byte) (auth.Principal, bool) {
	if c.ttl <= 0 {
		return auth.Principal{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !c.now().Before(e.expires) {
		return auth.Principal{}, false
	}
	return e.p, true
}

func (c *machineCache) put(k [32]byte, p auth.Principal) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= machineCacheMax {
		clear(c.m)
	}
	c.m[k] = cachedPrincipal{p: p, expires: c.now().Add(c.ttl)}
}

// forget drops every remembered authentication.
func (c *machineCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
