package fregclient_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
)

const (
	prefix = "/folkeregisteret/offentlig-med-hjemmel/api"
	id     = "01914796756"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// upstream serves h on loopback and returns a client for it and a counter
// of requests received.
func upstream(t *testing.T, cfg fregclient.Config, h http.HandlerFunc) (*fregclient.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + prefix
	if cfg.Logger == nil {
		cfg.Logger = discard
	}
	c, err := fregclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, &n
}

func assertNoID(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), id) || strings.Contains(err.Error(), prefix)) {
		t.Errorf("error leaks the identity number or path: %q", err)
	}
}

func TestNewValidatesBaseURL(t *testing.T) {
	for _, base := range []string{"", "relative/path", "ftp://host/x", "http:///nohost", "http://host/x?seq=1", "http://u:p@host/x", "http://host/x#frag", "http://[::1"} {
		if _, err := fregclient.New(fregclient.Config{BaseURL: base, Logger: discard}); err == nil {
			t.Errorf("BaseURL %q accepted", base)
		}
	}
	if _, err := fregclient.New(fregclient.Config{BaseURL: "http://127.0.0.1:9090" + prefix}); err == nil {
		t.Error("nil Logger accepted")
	}
	for _, base := range []string{"http://127.0.0.1:9090" + prefix, "https://folkeregisteret.api.skatteetaten.no" + prefix + "/"} {
		if _, err := fregclient.New(fregclient.Config{BaseURL: base, Logger: discard}); err != nil {
			t.Errorf("BaseURL %q: %v", base, err)
		}
	}
}

func TestRequestShape(t *testing.T) {
	var got *http.Request
	c, _ := upstream(t, fregclient.Config{TokenSource: func(context.Context) (string, error) { return "tok", nil }},
		func(w http.ResponseWriter, r *http.Request) {
			got = r
			io.WriteString(w, `{"identifikasjonsnummer":[{"foedselsEllerDNummer":"`+id+`","identifikatortype":"foedselsnummer","status":"iBruk","erGjeldende":true}],"ukjentElement":[1]}`)
		})
	p, err := c.Person(context.Background(), id, []string{"navn", "historikk"})
	if err != nil {
		t.Fatal(err)
	}
	if got.URL.Path != prefix+"/v1/personer/"+id {
		t.Errorf("path %q", got.URL.Path)
	}
	if parts := got.URL.Query()["part"]; len(parts) != 2 || parts[0] != "navn" || parts[1] != "historikk" {
		t.Errorf("part params %q", got.URL.RawQuery)
	}
	if got.Header.Get("Authorization") != "Bearer tok" || got.Header.Get("Accept") != "application/json" {
		t.Errorf("headers %v", got.Header)
	}
	if len(p.Identifikasjonsnummer) != 1 || p.Identifikasjonsnummer[0].FoedselsEllerDNummer != id {
		t.Errorf("decoded %+v", p)
	}

	// Without a token source no Authorization header is sent; a path
	// argument cannot escape its segment.
	c, _ = upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
		got = r
		io.WriteString(w, `{}`)
	})
	if _, err := c.Person(context.Background(), "a/../b", nil); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("Authorization") != "" || got.URL.EscapedPath() != prefix+"/v1/personer/a%2F..%2Fb" {
		t.Errorf("Authorization %q, path %q", got.Header.Get("Authorization"), got.URL.EscapedPath())
	}
	if _, err := c.Person(context.Background(), "..", nil); !errors.Is(err, freg.ErrInvalid) {
		t.Errorf("dot segment: %v", err)
	}
}

func TestStatusMapping(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"400", 400, `{"kode":"FREG-001","melding":"ugyldig fødselsnummer ` + id + `"}`, freg.ErrInvalid},
		{"400 html", 400, `<html>blocked</html>`, freg.ErrInvalid},
		{"401", 401, ``, freg.ErrForbidden},
		{"403", 403, `{"kode":"FREG-006","melding":"` + id + `"}`, freg.ErrForbidden},
		{"404", 404, `{"kode":"FREG-002","melding":"not found"}`, freg.ErrNotFound},
		{"410", 410, ``, freg.ErrGone},
		{"406", 406, ``, freg.ErrUpstream},
		{"500", 500, `{"kode":"FREG-014","melding":"` + id + `"}`, freg.ErrUpstream},
		{"502", 502, `<html>bad gateway</html>`, freg.ErrUpstream},
		{"200 html", 200, `<html>WAF</html>`, freg.ErrUpstream},
		{"200 truncated json", 200, `{"navn":[{"fornavn":"Ola"`, freg.ErrUpstream},
		{"302", 302, ``, freg.ErrUpstream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 302 {
					w.Header().Set("Location", "http://example.invalid/steal")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			_, err := c.Person(context.Background(), id, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			assertNoID(t, err)
		})
	}
}

func TestMeldingIsQuotedRedacted(t *testing.T) {
	c, _ := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"kode":"FREG-001","melding":"ugyldig verdi `+id+"\\n"+strings.Repeat("x", 500)+`"}`)
	})
	_, err := c.Person(context.Background(), id, nil)
	msg := err.Error()
	if !strings.Contains(msg, "FREG-001 ugyldig verdi [redacted]") || strings.Contains(msg, "\n") || len(msg) > 400 {
		t.Errorf("melding not sanitised: %q", msg)
	}
}

func TestBodyTruncatedByConnection(t *testing.T) {
	c, _ := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `{"navn":[`)
	})
	_, err := c.Person(context.Background(), id, nil)
	if !errors.Is(err, freg.ErrUpstream) {
		t.Fatalf("err = %v", err)
	}
	assertNoID(t, err)
}

func TestRetryAfterThenSuccess(t *testing.T) {
	var calls atomic.Int32
	c, n := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "20") // milliseconds, as FREG sends
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, `1500`)
	})
	seq, err := c.LastSequence(context.Background())
	if err != nil || seq != 1500 {
		t.Fatalf("LastSequence = %d, %v", seq, err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests, want 3", n.Load())
	}
}

func TestRetryResendsBody(t *testing.T) {
	var bodies []string
	c, _ := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if len(bodies) == 1 {
			w.Header().Set("Retry-After", "10")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, `{"oppslag":[{"foedselsEllerDNummer":"`+id+`","feilmelding":{"feilmelding":"ikke funnet"}}]}`)
	})
	res, err := c.BulkLookup(context.Background(), []string{id}, nil)
	if err != nil || len(res) != 1 || res[0].Feilmelding == nil {
		t.Fatalf("BulkLookup = %+v, %v", res, err)
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[1], id) {
		t.Errorf("bodies %q", bodies)
	}
}

func TestThrottledForever(t *testing.T) {
	c, n := upstream(t, fregclient.Config{MaxRetries: 2}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := c.Person(context.Background(), id, nil)
	if !errors.Is(err, freg.ErrThrottled) {
		t.Fatalf("err = %v", err)
	}
	assertNoID(t, err)
	if n.Load() != 3 {
		t.Errorf("%d requests, want 1 + MaxRetries = 3", n.Load())
	}
}

func TestThrottleWaitBeyondDeadlineGivesUp(t *testing.T) {
	c, n := upstream(t, fregclient.Config{Timeout: 500 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3000")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	if _, err := c.Person(context.Background(), id, nil); !errors.Is(err, freg.ErrThrottled) {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}

func TestSlowUpstreamTimesOut(t *testing.T) {
	release := make(chan struct{})
	c, _ := upstream(t, fregclient.Config{Timeout: 100 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	_, err := c.Person(context.Background(), id, nil)
	if !errors.Is(err, freg.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	assertNoID(t, err)
}

func TestCallerCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	_, err := c.Person(ctx, id, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, freg.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	assertNoID(t, err)
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := fregclient.New(fregclient.Config{BaseURL: "http://" + addr + prefix, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Person(context.Background(), id, []string{"navn"})
	if !errors.Is(err, freg.ErrUpstream) || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err = %v", err)
	}
	assertNoID(t, err)
	if strings.Contains(err.Error(), prefix) || strings.Contains(err.Error(), "part=") {
		t.Errorf("error names the path: %v", err)
	}
}

func TestUnknownHost(t *testing.T) {
	c, err := fregclient.New(fregclient.Config{BaseURL: "http://folkevakt-test.invalid" + prefix, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Person(context.Background(), id, nil)
	if !errors.Is(err, freg.ErrUpstream) || !strings.Contains(err.Error(), "folkevakt-test.invalid:80") {
		t.Fatalf("err = %v", err)
	}
	assertNoID(t, err)
}

func TestTokenSourceFailure(t *testing.T) {
	c, n := upstream(t, fregclient.Config{TokenSource: func(context.Context) (string, error) {
		return "", errors.New("maskinporten down")
	}}, func(w http.ResponseWriter, r *http.Request) {})
	if _, err := c.Person(context.Background(), id, nil); !errors.Is(err, freg.ErrUpstream) {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 0 {
		t.Error("request sent without a token")
	}
}

func TestLocalValidation(t *testing.T) {
	c, n := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {})
	ctx := context.Background()
	tooMany := make([]string, 1001)
	for _, err := range []error{
		second(c.Search(ctx, freg.SearchQuery{Kjoenn: "ukjent"})),
		second(c.UniqueSearch(ctx, freg.SearchQuery{MaksTreff: 20000}, nil)),
		second(c.BulkLookup(ctx, nil, nil)),
		second(c.BulkLookup(ctx, tooMany, nil)),
		second(c.Feed(ctx, 0)),
		second(c.ExtractBatch(ctx, "job", -1)),
	} {
		if !errors.Is(err, freg.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d invalid requests reached upstream", n.Load())
	}
}

func TestExtractBatchEnd(t *testing.T) {
	c, _ := upstream(t, fregclient.Config{}, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case prefix + "/v1/uttrekk/j/batch/0":
			io.WriteString(w, `{"foedselsEllerDNummer":[]}`)
		case prefix + "/v1/uttrekk/j/batch/1":
			io.WriteString(w, `{}`)
		default:
			w.WriteHeader(404)
		}
	})
	ctx := context.Background()
	if b, err := c.ExtractBatch(ctx, "j", 0); err != nil || b.Done {
		t.Errorf("empty batch: %+v, %v", b, err)
	}
	if b, err := c.ExtractBatch(ctx, "j", 1); err != nil || !b.Done {
		t.Errorf("end: %+v, %v", b, err)
	}
	if _, err := c.ExtractBatch(ctx, "j", 2); !errors.Is(err, freg.ErrNotReady) {
		t.Errorf("404: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestOversizedResponse(t *testing.T) {
	c, _ := upstream(t, fregclient.Config{MaxResponseBytes: 1 << 10}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "["+strings.Repeat(" ", 2<<10)+"]")
	})
	_, err := c.Search(context.Background(), freg.SearchQuery{Navn: "Ola"})
	if !errors.Is(err, freg.ErrUpstream) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
}
