package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/gateway/freg/fregsim"
	"folkevakt/store"
)

// BenchmarkLookupOverHTTP is the load test's gateway path in one process:
// client → gateway (real auth, policy, durable audit) → fregclient → fregsim.
// Run with -cpuprofile to see where a lookup's time goes.
func BenchmarkLookupOverHTTP(b *testing.B) {
	sim := httptest.NewServer(fregsim.NewHandler(register(b), slog.New(slog.DiscardHandler)))
	defer sim.Close()
	up, err := fregclient.New(fregclient.Config{BaseURL: sim.URL + fregsim.Prefix, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(b, fixtureOpts{upstream: up})
	role := f.role("helse-omsorg", store.UsageWebAndM2M, store.GradedHide, searchOnly, freg.PersonBasis...)
	integ := f.integration("bench")
	f.grant(role.ID, store.SubjectIntegration, integ.id)
	ex := register(b).Examples()
	url := f.http.URL + personPath(role.ID, ex.Ordinary, "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			for k, v := range integ.headers {
				req.Header[k] = v
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
