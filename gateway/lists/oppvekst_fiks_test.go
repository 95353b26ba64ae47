package lists

import (
	"net/http"
	"testing"
)

// Fiks's published path for oppvekst answers exactly as our own.
func TestOppvekstOnFiksPath(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 3000, noStart: true})
	ex := f.reg.Examples()
	role := oppvekstRole(f)
	body := map[string]any{"foedselsnumre": []string{ex.ChildFelles, ex.Ordinary}}
	own := do(t, f.router(f.caller(role)), http.MethodPost, "/register/api/v1/ks/"+role.ID+"/oppvekst", body)
	fiks := do(t, f.router(f.caller(role)), http.MethodPost, "/folkeregister/api/v1/oppvekst/3f1c2b7a-5d2e-4b8a-9c1d-2e3f4a5b6c7d/"+role.ID, body)
	if own.Code != http.StatusOK || fiks.Code != http.StatusOK || own.Body.String() != fiks.Body.String() {
		t.Fatalf("own path %d, Fiks path %d: %.300s", own.Code, fiks.Code, fiks.Body)
	}
}
