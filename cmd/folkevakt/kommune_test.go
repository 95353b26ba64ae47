package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg/synth"
)

// An organisation in any kommune starts like `make run` starts the demo
// (bootstrap from the environment) and finds its own residents: Frosta,
// 5036, was once outside the embedded register's municipalities.
func TestServeBootstrapsAnyKommune(t *testing.T) {
	const frostaOrg, frosta = "921000006", "5036"
	dir := t.TempDir()
	const adminToken = "frosta-admin-token-0123456789"
	srv := startServe(t, dir, map[string]string{
		"FOLKEVAKT_BOOTSTRAP_ORG":         frostaOrg + ":Frosta kommune:" + frosta,
		"FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN": adminToken,
	})
	adminH := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	code, b := call(t, "POST", srv.base+"/admin/api/v1/roles", adminH, map[string]any{
		"name": "Oppslag", "description": "Oppslag for servicetorget", "serviceArea": "stotte",
		"usage": "m2m", "purposes": []string{"search"}, "elements": []string{"navn", "bostedsadresse"}, "gradedAddresses": "hide"})
	if code != 201 {
		t.Fatalf("create role: %d %s", code, b)
	}
	role := decode[struct{ ID string }](t, b)
	code, b = call(t, "POST", srv.base+"/admin/api/v1/integrations", adminH, map[string]any{"name": "Fagsystem", "orgNumber": frostaOrg})
	if code != 201 {
		t.Fatalf("create integration: %d %s", code, b)
	}
	integ := decode[struct{ ID, Password string }](t, b)
	if code, b = call(t, "POST", srv.base+"/admin/api/v1/roles/"+role.ID+"/grants", adminH, map[string]any{"kind": "integration", "subject": integ.ID}); code != 201 {
		t.Fatalf("grant: %d %s", code, b)
	}
	token, err := auth.MintMaskinportenToken(dir, frostaOrg, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// serve generates the register with the organisations' kommuner and the default seed.
	reg, err := synth.Generate(synth.Config{Seed: 1, N: e2ePopulace, Kommuner: []string{frosta}})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + token, "IntegrasjonId": integ.ID, "IntegrasjonPassord": integ.Password}
	code, b = call(t, "GET", srv.base+"/folkeregister/api/v1/"+role.ID+"/v1/personer/"+reg.Examples().Ordinary+"?part=bostedsadresse", h, nil)
	if code != 200 {
		t.Fatalf("lookup: %d %s", code, b)
	}
	var doc struct {
		Bostedsadresse []struct {
			Vegadresse struct {
				Kommunenummer string
				Poststed      struct{ Postnummer, Poststedsnavn string }
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Bostedsadresse) == 0 {
		t.Fatalf("lookup body %s: %v", b, err)
	}
	v := doc.Bostedsadresse[0].Vegadresse
	if v.Kommunenummer != frosta || v.Poststed.Postnummer != "7633" || v.Poststed.Poststedsnavn != "FROSTA" {
		t.Fatalf("resident's address %+v, want Frosta's", v)
	}
	if strings.Contains(srv.stderr.String(), "kommunenummer") {
		t.Fatalf("start logged a kommune problem: %s", srv.stderr.String())
	}
}
