package auth

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// CheckMaskinportenIssuer fetches a Maskinporten issuer's discovery
// document and key set exactly as the Authenticator would, and returns the
// number of usable signing keys. It is for `folkevakt check-config`, which
// reports a wrong issuer before going live instead of at the first token.
func CheckMaskinportenIssuer(ctx context.Context, issuerURL string, client *http.Client) (int, error) {
	return checkIssuer(ctx, kindMaskinporten, issuerURL, client)
}

// CheckOIDCIssuer does the same for the employees' OpenID Connect issuer.
func CheckOIDCIssuer(ctx context.Context, issuerURL string, client *http.Client) (int, error) {
	return checkIssuer(ctx, kindOIDC, issuerURL, client)
}

func checkIssuer(ctx context.Context, kind, issuerURL string, client *http.Client) (int, error) {
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	r, err := newRemoteKeys(Config{HTTPClient: client, Logger: slog.New(slog.DiscardHandler), Now: time.Now}, kind, issuerURL)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	keys, err := r.fetch(ctx)
	return len(keys), err
}
