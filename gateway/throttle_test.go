package gateway_test

import (
	"net/http"
	"strconv"
	"testing"

	"folkevakt/gateway/auth"
	"folkevakt/store"
)

// A throttled caller is told how long the block really lasts, and a
// fagsystem with a stale password does not lock out the other integrations
// behind the same address.
func TestThrottledRetryAfterAndFairness(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ex := register(t).Examples()
	role := f.role("stotte", store.UsageM2M, store.GradedHide, searchOnly, "identifikasjonsnummer", "navn")
	stale, other := f.integration("stale"), f.integration("other")
	f.grant(role.ID, store.SubjectIntegration, stale.id)
	f.grant(role.ID, store.SubjectIntegration, other.id)
	path := personPath(role.ID, ex.Ordinary, "part=navn")
	for range 10 {
		r := f.do(stale, "GET", path, nil, "Integrasjonpassord", "old password")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d %s", r.status, r.body)
		}
	}
	r := f.do(stale, "GET", path, nil)
	if r.status != http.StatusTooManyRequests || r.fiks(t)["errorCode"] != "throttled" {
		t.Fatalf("after 10 failures: %d %s", r.status, r.body)
	}
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	cooldown := int(auth.ThrottleCooldown.Seconds())
	if err != nil || secs > cooldown || secs < cooldown-30 {
		t.Fatalf("Retry-After %q, want about %d s (the time left of the block)", r.header.Get("Retry-After"), cooldown)
	}
	if r := f.do(other, "GET", path, nil); r.status != http.StatusOK {
		t.Fatalf("another integration at the same address: %d %s", r.status, r.body)
	}
}
