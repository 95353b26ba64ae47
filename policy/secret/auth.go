package secret

import (
	"context"
	"errors"
	"sync"
	"time"

	"folkevakt/store"
)

// ErrUnauthenticated means the presented secret is missing, unknown or wrong.
var ErrUnauthenticated = errors.New("unauthenticated")

// TokenAuthenticator resolves bearer tokens to their stored Token. argon2id
// costs tens of milliseconds, so a verified token is remembered in memory
// (keyed by its SHA-256, never by the token itself) for cacheTTL; deleting a
// token evicts the cache through the store's change hook.
type TokenAuthenticator struct {
	store store.Store
	now   func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]cachedToken
}

type cachedToken struct {
	token   store.Token
	expires time.Time
}

const cacheTTL = 5 * time.Minute

// NewTokenAuthenticator returns an authenticator over s.
func NewTokenAuthenticator(s store.Store) *TokenAuthenticator {
	a := &TokenAuthenticator{store: s, now: time.Now, cache: map[[32]byte]cachedToken{}}
	s.OnChange(func(c store.Change) {
		if c.Entity == store.EntityToken && c.Action == store.ActionDelete {
			a.mu.Lock()
			clear(a.cache)
			a.mu.Unlock()
		}
	})
	return a
}

// Authenticate returns the token of the given kind that bearer proves.
func (a *TokenAuthenticator) Authenticate(ctx context.Context, kind, bearer string) (store.Token, error) {
	if bearer == "" {
		return store.Token{}, ErrUnauthenticated
	}
	fp := Fingerprint(bearer)
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[fp]
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		if c.token.Kind != kind {
			return store.Token{}, ErrUnauthenticated
		}
		return c.token, nil
	}
	candidates, err := a.store.FindTokens(ctx, Lookup(bearer))
	if err != nil {
		return store.Token{}, err
	}
	for _, t := range candidates {
		okHash, err := Verify(t.Hash, bearer)
		if err != nil || !okHash {
			continue
		}
		a.mu.Lock()
		a.cache[fp] = cachedToken{token: t, expires: now.Add(cacheTTL)}
		a.mu.Unlock()
		if t.Kind != kind {
			return store.Token{}, ErrUnauthenticated
		}
		return t, nil
	}
	return store.Token{}, ErrUnauthenticated
}
