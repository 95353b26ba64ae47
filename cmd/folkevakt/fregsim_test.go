package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startFregsim runs `folkevakt fregsim` in-process and returns its API base.
func startFregsim(t *testing.T, extra ...string) string {
	t.Helper()
	args := append([]string{"fregsim", "--addr", "127.0.0.1:0", "--population", "200", "--log-format", "text"}, extra...)
	return startListening(t, nil, args).base
}

// --latency holds every answer back, so that load tests can put a
// remote-like FREG behind the gateway.
func TestFregsimLatency(t *testing.T) {
	for _, tc := range []struct {
		latency  string
		min, max time.Duration
	}{{"0s", 0, 150 * time.Millisecond}, {"300ms", 300 * time.Millisecond, 2 * time.Second}} {
		base := startFregsim(t, "--latency", tc.latency)
		start := time.Now()
		resp, err := http.Get(base + "/v1/hendelser/siste/sekvensnummer")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusOK || took < tc.min || took > tc.max {
			t.Errorf("--latency %s: status %d after %s, want 200 within [%s, %s]", tc.latency, resp.StatusCode, took, tc.min, tc.max)
		}
	}
}

func TestFregsimLatencyOutOfRange(t *testing.T) {
	for _, v := range []string{"-1ms", "2m"} {
		stderr := &syncBuffer{}
		code := run(context.Background(), []string{"fregsim", "--latency", v}, &syncBuffer{}, stderr, func(string) (string, bool) { return "", false })
		if code == 0 || !strings.Contains(stderr.String(), "--latency") {
			t.Errorf("--latency %s: exit %d, stderr %q", v, code, stderr.String())
		}
	}
}
