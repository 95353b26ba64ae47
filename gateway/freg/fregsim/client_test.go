package fregsim_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/gateway/freg/fregsim"
	"folkevakt/gateway/freg/fregspec"
)

func newClient(t *testing.T, baseURL string) *fregclient.Client {
	t.Helper()
	c, err := fregclient.New(fregclient.Config{
		BaseURL:    baseURL + fregsim.Prefix,
		MaxRetries: -1, // fregsim asks for a 1 s back-off; the mapping is what is tested
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Every answer fregclient gets is checked against FREG's official
		// spec (requests too would refuse the tests' deliberate bad input;
		// TestArchiveEventsKomplettAndForeignIDsConformToSpec checks them).
		HTTPClient: &http.Client{Transport: fregspec.MaybeLoad(t).Transport(t, nil, false)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func second[T any](_ T, err error) error { return err }

// TestClientErrorsThroughSim checks that register failures the synthetic
// register never produces travel through fregsim and fregclient as the same
// freg sentinel, without identity numbers in the error text.
func TestClientErrorsThroughSim(t *testing.T) {
	srv, _ := newServer(t, newRegister())
	c := newClient(t, srv.URL)
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"invalid id", second(c.Person(ctx, "01015012345", nil)), freg.ErrInvalid},
		{"unknown", second(c.Person(ctx, idUnknown, nil)), freg.ErrNotFound},
		{"register failure", second(c.Person(ctx, idBroken, nil)), freg.ErrUpstream},
		{"throttled", second(c.Person(ctx, idThrottle, nil)), freg.ErrThrottled},
		{"bulk failure", second(c.BulkLookup(ctx, []string{idOla, idBroken}, nil)), freg.ErrUpstream},
		{"batch not ready", second(c.ExtractBatch(ctx, "pending", 0)), freg.ErrNotReady},
		{"batch unknown job", second(c.ExtractBatch(ctx, "nope", 0)), freg.ErrGone},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.want)
			continue
		}
		for _, id := range []string{idOla, idUnknown, idBroken, idThrottle, "01015012345"} {
			if strings.Contains(tc.err.Error(), id) {
				t.Errorf("%s: error %q contains an identity number", tc.name, tc.err)
			}
		}
	}
	if err := tests[0].err; !strings.Contains(err.Error(), "FREG-001") || !strings.Contains(err.Error(), "personidentifikator") {
		t.Errorf("invalid id error lacks the upstream melding: %v", err)
	}
}
