package auth

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Throttling of failed machine logins: maxFailures failures of one key
// within failureWindow block that key for ThrottleCooldown. Keys are per
// integration and address ("p:…", failures naming a real integration), per
// integration over all addresses ("i:…") and per address ("a:…", failures
// naming no real integration).
const (
	maxFailures      = 10
	failureWindow    = 5 * time.Minute
	ThrottleCooldown = 5 * time.Minute
	maxThrottleKeys  = 100_000 // bounds memory under address spraying
)

type throttle struct {
	mu      sync.Mutex
	entries map[string]*failures
	limit   int
	// trusted holds, per integration and address, until when a successful
	// login from there lets that address past the integration's block.
	trusted map[string]time.Time
}

// trustTTL is how long a successful login vouches for its address. The
// integration id is no secret, so anyone can run an integration into its
// block; the fagsystem that logged in from its usual address keeps working
// meanwhile, while every other address is refused.
const trustTTL = time.Hour

type failures struct {
	count        int
	windowStart  time.Time
	blockedUntil time.Time
}

func newThrottle() *throttle {
	return &throttle{entries: map[string]*failures{}, limit: maxThrottleKeys, trusted: map[string]time.Time{}}
}

func (t *throttle) blocked(key string, now time.Time) bool {
	return t.blockedFor(key, now) > 0
}

// blockedFor returns how long key stays blocked (0: not blocked).
func (t *throttle) blockedFor(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.entries[key]
	if !ok || !now.Before(f.blockedUntil) {
		return 0
	}
	return f.blockedUntil.Sub(now)
}

// fail records a failure for key and reports whether it just became blocked.
func (t *throttle) fail(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.entries[key]
	if !ok {
		if len(t.entries) >= t.limit && !t.makeRoom(now) {
			return false
		}
		f = &failures{windowStart: now}
		t.entries[key] = f
	}
	if now.Sub(f.windowStart) >= failureWindow {
		f.count, f.windowStart = 0, now
	}
	f.count++
	if f.count >= maxFailures && !now.Before(f.blockedUntil) {
		f.blockedUntil = now.Add(ThrottleCooldown)
		f.count, f.windowStart = 0, now
		return true
	}
	return false
}

// makeRoom drops expired entries, else one entry that is not blocked (map
// order is random, so a sprayer cannot choose whom to evict). Blocked
// entries are never evicted; with only those left, the new key goes
// uncounted. t.mu is held.
func (t *throttle) makeRoom(now time.Time) bool {
	for k, f := range t.entries {
		if !now.Before(f.blockedUntil) && now.Sub(f.windowStart) >= failureWindow {
			delete(t.entries, k)
		}
	}
	if len(t.entries) < t.limit {
		return true
	}
	for k, f := range t.entries {
		if !now.Before(f.blockedUntil) {
			delete(t.entries, k)
			return true
		}
	}
	return false
}

// reset forgets key's failures unless it is blocked (a concurrent failure
// may just have blocked it).
func (t *throttle) reset(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f, ok := t.entries[key]; ok && !now.Before(f.blockedUntil) {
		delete(t.entries, key)
	}
}

// trust records that integ logged in from addr at now.
func (t *throttle) trust(integ, addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := integ + "|" + addr
	if _, ok := t.trusted[k]; !ok && len(t.trusted) >= t.limit {
		for old, until := range t.trusted {
			if !now.Before(until) {
				delete(t.trusted, old)
			}
		}
		if len(t.trusted) >= t.limit {
			return // full of live trust: this address goes without
		}
	}
	t.trusted[k] = now.Add(trustTTL)
}

// isTrusted reports whether integ logged in from addr within trustTTL.
func (t *throttle) isTrusted(integ, addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.trusted[integ+"|"+addr]
	return ok && now.Before(until)
}

func integrationKey(id string) string { return "i:" + id }

// pairKey is the key of an integration's failures from one address.
func pairKey(integ, addr string) string { return "p:" + integ[len("i:"):] + "|" + addr[len("a:"):] }

// addressKey is the throttling key of a caller address. IPv6 callers are
// keyed by their /64, which one host usually controls entirely.
func addressKey(remote string) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if len(host) > 64 {
			host = host[:64]
		}
		return "a:" + host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "a:" + p.String()
	}
	return "a:" + ip.String()
}
