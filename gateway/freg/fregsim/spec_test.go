package fregsim_test

import (
		"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregspec"
	"folkevakt/gateway/freg/synth"
)

// specClient is an HTTP client whose every response below the FREG prefix
// is validated against Skatteetaten's OpenAPI (undefined fields included).
func specClient(t *testing.T) *http.Client {
	return &http.Client{Transport: fregspec.Load(t).Transport(t, nil, false)}
}

// Every element of every person in a synthetic population, with history,
// validates against the spec's Folkeregisterperson, as do the answers of
// every other resource fregsim serves.
func TestSyntheticRegisterConformsToSpec(t *testing.T) {
	hc := specClient(t)
	reg, err := synth.Generate(synth.Config{Seed: 5, N: 6000, Kommuner: []string{"5036"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newServer(t, reg)
	get := func(path string) []byte {
		t.Helper()
		resp, err := hc.Get(srv.URL + v1 + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	post := func(path, body string) []byte {
		t.Helper()
		resp, err := hc.Post(srv.URL+v1+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	// Everyone, through a tilpasset uttrekk of every status.
	var job struct{ JobbID string }
	json.Unmarshal(post("uttrekk/tilpasset", `{"personstatustyper":["aktiv","bosatt","utflyttet","doed","inaktiv"]}`), &job)
	var ids []string
	for n := 0; ; n++ {
		var b struct{ FoedselsEllerDNummer []string }
		json.Unmarshal(get("uttrekk/"+job.JobbID+"/batch/"+strconv.Itoa(n)), &b)
		if b.FoedselsEllerDNummer == nil {
			break
		}
		ids = append(ids, b.FoedselsEllerDNummer...)
	}
	if len(ids) != reg.Len() {
		t.Fatalf("uttrekk gave %d of %d persons", len(ids), reg.Len())
	}
	parts := "?part=historikk"
	for _, e := range freg.Elements {
		if e.Name != freg.ElementHistorikk {
			parts += "&part=" + e.Name
		}
	}
	seen := map[string]int{}
	for i := 0; i < len(ids); i += 1000 {
		batch, _ := json.Marshal(map[string][]string{"foedselsEllerDNummer": ids[i:min(i+1000, len(ids))]})
		var res struct {
			Oppslag []struct {
				Folkeregisterperson map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(post("personer/bulkoppslag"+parts, string(batch)), &res); err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Oppslag {
			for k := range o.Folkeregisterperson {
				seen[k]++
			}
		}
	}
	// Every element of the spec's Folkeregisterperson occurs.
	elements := fregspec.Load(t).Properties(fregspec.PersonSchema)
	if len(elements) < 30 {
		t.Fatalf("the spec's person has %d elements", len(elements))
	}
	for _, e := range elements {
		if seen[e] == 0 {
			t.Errorf("element %s never occurs in %d persons", e, len(ids))
		}
	}
	t.Logf("elements in %d persons: %v", len(ids), seen)
	get("personer/" + ids[0])
}
