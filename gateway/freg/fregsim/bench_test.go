package fregsim_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"folkevakt/gateway/freg/fregsim"
	"folkevakt/gateway/freg/synth"
)

// BenchmarkFregsimPerson measures one person GET through fregsim over
// loopback HTTP with keep-alive: the baseline against which the gateway's
// overhead is measured.
func BenchmarkFregsimPerson(b *testing.B) {
	reg, err := synth.Generate(synth.Config{Seed: 1, N: 10000, Kommuner: []string{"0301"}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(fregsim.NewHandler(reg, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	target := srv.URL + fregsim.Prefix + "/v1/personer/" + reg.Examples().Ordinary
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(target)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
