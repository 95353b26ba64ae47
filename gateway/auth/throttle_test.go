package auth

import (
	"errors"
	"testing"
	"time"

	"folkevakt/policy/secret"
	"folkevakt/store"
)

// A fagsystem with a stale password behind a shared address (a
// municipality's NAT) blocks only itself there: another integration behind
// the same address keeps working, and so does the stale integration at its
// other, usual address.
func TestThrottleStalePasswordSparesOtherIntegrations(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	otherPW := secret.NewPassword()
	h, err := secret.Hash(otherPW)
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.st.Tenant(f.org.ID).CreateIntegration(f.ctx, store.Integration{Name: "Acos WebSak", OrgNumber: orgNumber, PasswordHash: h})
	if err != nil {
		t.Fatal(err)
	}
	const nat, usual = "192.0.2.50:1000", "198.51.100.5:1000"
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, usual); err != nil {
		t.Fatal(err)
	}
	for range maxFailures {
		_, err := f.a.Machine(f.ctx, f.integ.ID, "stale", tok, nat)
		wantReason(t, err, ErrUnauthenticated, "wrong password")
	}
	_, err = f.a.Machine(f.ctx, f.integ.ID, f.password, tok, nat)
	wantReason(t, err, ErrThrottled, "integration and address")
	if _, err := f.a.Machine(f.ctx, other.ID, otherPW, tok, nat); err != nil {
		t.Fatalf("another integration behind the same address is locked out: %v", err)
	}
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, usual); err != nil {
		t.Fatalf("the integration is locked out at its usual address: %v", err)
	}
}

// The block's Retry-After is the time left of it, not a fixed figure.
func TestThrottleRetryAfterIsTimeLeft(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	for range maxFailures {
		_, _ = f.a.Machine(f.ctx, f.integ.ID, "guess", tok, testAddr)
	}
	for _, passed := range []time.Duration{0, 2 * time.Minute, ThrottleCooldown - 3*time.Second} {
		f.clock.Advance(passed)
		_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
		var te *ThrottledError
		if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) {
			t.Fatalf("after %v: %v, want a ThrottledError", passed, err)
		}
		f.clock.Advance(-passed)
		if want := ThrottleCooldown - passed; te.RetryAfter != want {
			t.Fatalf("after %v: RetryAfter %v, want %v", passed, te.RetryAfter, want)
		}
	}
	// Address blocks (unknown ids) report their own time left.
	for range maxFailures {
		_, _ = f.a.Machine(f.ctx, "not-an-id", "x", tok, "203.0.113.9:1")
	}
	f.clock.Advance(time.Minute)
	_, err := f.a.Machine(f.ctx, "not-an-id", "x", tok, "203.0.113.9:1")
	var te *ThrottledError
	if !errors.As(err, &te) || te.RetryAfter != ThrottleCooldown-time.Minute || te.Scope != "address" {
		t.Fatalf("address block: %v %+v", err, te)
	}
}

// An address blocked for guessing ids still lets in an integration that
// logged in from there before, and no other.
func TestThrottleAddressBlockSparesTrustedIntegration(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	const nat = "192.0.2.60:1"
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, nat); err != nil {
		t.Fatal(err)
	}
	for range maxFailures {
		_, _ = f.a.Machine(f.ctx, "00000000-0000-4000-8000-000000000000", "x", tok, nat)
	}
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, nat); err != nil {
		t.Fatalf("trusted integration refused at its blocked address: %v", err)
	}
	_, err := f.a.Machine(f.ctx, "00000000-0000-4000-8000-000000000001", "x", tok, nat)
	wantReason(t, err, ErrThrottled, "address")
}
