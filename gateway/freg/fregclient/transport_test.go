package fregclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"folkevakt/gateway/freg"
)

// testID is an identity number that must never appear in an error.
const testID = "01914796756"

// countingServer starts an httptest server that counts the connections it
// accepts.
func countingServer(t testing.TB, useTLS bool, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted TLS handshake is expected
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &conns
}

// echoPath answers with the request path, so that a response can be
// matched to its request.
func echoPath(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) }

func newTestTransport(t testing.TB, cfg TransportConfig) *Transport {
	tr := NewTransport(cfg)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// fetch sends a request through tr and reads the whole answer.
func fetch(ctx context.Context, tr http.RoundTripper, method, target string, body io.Reader) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), nil
}

func mustFetch(t *testing.T, tr http.RoundTripper, target, want string) {
	t.Helper()
	got, err := fetch(context.Background(), tr, http.MethodGet, target, nil)
	if err != nil || got != want {
		t.Fatalf("GET = %q, %v; want %q", got, err, want)
	}
}

func (t *Transport) idleCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.pools {
		n += len(p.idle)
	}
	return n
}

func wantConns(t *testing.T, conns *atomic.Int32, want int32) {
	t.Helper()
	if got := conns.Load(); got != want {
		t.Errorf("server accepted %d connections, want %d", got, want)
	}
}

func TestTransportReusesConnection(t *testing.T) {
	srv, conns := countingServer(t, false, echoPath)
	tr := newTestTransport(t, TransportConfig{})
	for i := range 100 {
		p := "/r/" + strconv.Itoa(i)
		mustFetch(t, tr, srv.URL+p, p)
	}
	wantConns(t, conns, 1)
	if n := tr.idleCount(); n != 1 {
		t.Errorf("%d idle connections, want 1", n)
	}
}

func TestTransportConcurrent(t *testing.T) {
	const workers, perWorker = 32, 50
	for _, maxIdle := range []int{0, 4} {
		t.Run("maxIdle="+strconv.Itoa(maxIdle), func(t *testing.T) {
			srv, conns := countingServer(t, false, echoPath)
			tr := newTestTransport(t, TransportConfig{MaxIdleConnsPerHost: maxIdle})
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for i := range perWorker {
						p := fmt.Sprintf("/w/%d/%d", w, i)
						got, err := fetch(context.Background(), tr, http.MethodGet, srv.URL+p, nil)
						if err == nil && got != p {
							err = fmt.Errorf("got %q for %q", got, p)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			limit := maxIdle
			if limit == 0 {
				limit = DefaultMaxIdleConnsPerHost
				// Each worker holds at most one connection, and with room
				// in the pool none is ever closed, so none is dialled twice.
				if n := conns.Load(); n > workers {
					t.Errorf("%d connections for %d workers", n, workers)
				}
			}
			if n := tr.idleCount(); n > limit || n == 0 {
				t.Errorf("%d idle connections, want 1..%d", n, limit)
			}
		})
	}
}

// dropAfterResponse is a handler that answers "dropped" like a keep-alive
// response and then closes the connection, as a server closing an idle
// connection would.
func dropAfterResponse(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ndropped")
	buf.Flush()
	conn.Close()
}

// dropped wraps dropAfterResponse and reports each close on the returned
// channel, so that a test can wait for the close before its next request:
// on a loaded machine the handler may otherwise be descheduled between the
// response and the close, and the next request would race it.
func dropped() (http.HandlerFunc, <-chan struct{}) {
	closed := make(chan struct{}, 16)
	return func(w http.ResponseWriter, r *http.Request) {
		dropAfterResponse(w, r)
		closed <- struct{}{}
	}, closed
}

func TestTransportRetriesStaleConnection(t *testing.T) {
	var echoed atomic.Int32
	drop, closed := dropped()
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/drop":
			drop(w, r)
		case "/echo":
			echoed.Add(1)
			io.Copy(w, r.Body)
		default:
			echoPath(w, r)
		}
	})
	tr := newTestTransport(t, TransportConfig{})

	t.Run("GET after server closed all", func(t *testing.T) {
		mustFetch(t, tr, srv.URL+"/a", "/a")
		srv.CloseClientConnections()
		mustFetch(t, tr, srv.URL+"/b", "/b")
	})
	t.Run("GET", func(t *testing.T) {
		mustFetch(t, tr, srv.URL+"/drop", "dropped")
		<-closed
		mustFetch(t, tr, srv.URL+"/c", "/c")
	})
	t.Run("POST with GetBody", func(t *testing.T) {
		mustFetch(t, tr, srv.URL+"/drop", "dropped")
		<-closed
		before := echoed.Load()
		got, err := fetch(context.Background(), tr, http.MethodPost, srv.URL+"/echo", strings.NewReader("payload"))
		if err != nil || got != "payload" {
			t.Fatalf("POST = %q, %v", got, err)
		}
		if n := echoed.Load() - before; n != 1 {
			t.Errorf("handler ran %d times", n)
		}
	})
	t.Run("POST without GetBody", func(t *testing.T) {
		// The idle connection is seen closed before anything is sent, so
		// even a body that cannot be resent goes out once, on a new one.
		mustFetch(t, tr, srv.URL+"/drop", "dropped")
		<-closed
		before := echoed.Load()
		body := struct{ io.Reader }{strings.NewReader("payload")} // hides the type: no GetBody
		if got, err := fetch(context.Background(), tr, http.MethodPost, srv.URL+"/echo", body); err != nil || got != "payload" {
			t.Fatalf("POST = %q, %v", got, err)
		}
		if n := echoed.Load() - before; n != 1 {
			t.Errorf("handler ran %d times", n)
		}
	})
	// Dialled: one for /a, then one after each close (/b, /c and the two
	// POSTs).
	wantConns(t, conns, 5)
}

// A connection that the server closes after the idle check, with the
// request already on its way, fails under the request: a GET is resent on
// a new connection, a POST is not.
func TestTransportConnectionClosedInFlight(t *testing.T) {
	var echoed atomic.Int32
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/late-drop":
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")
			buf.Flush()
			// The next request arrives meanwhile and is left unread; the
			// margin keeps a loaded machine from sending it only after the
			// close, when the idle check would already see it.
			time.Sleep(500 * time.Millisecond)
			conn.Close()
		case "/echo":
			echoed.Add(1)
			io.Copy(w, r.Body)
		default:
			echoPath(w, r)
		}
	})
	tr := newTestTransport(t, TransportConfig{})
	mustFetch(t, tr, srv.URL+"/late-drop", "late")
	mustFetch(t, tr, srv.URL+"/after", "/after")
	mustFetch(t, tr, srv.URL+"/late-drop", "late")
	if _, err := fetch(context.Background(), tr, http.MethodPost, srv.URL+"/echo", strings.NewReader("payload")); err == nil {
		t.Error("POST on a connection closed under it succeeded")
	}
	if n := echoed.Load(); n != 0 {
		t.Errorf("POST handler ran %d times", n)
	}
	// The first /late-drop's connection, and the one /after was resent on
	// (which the second /late-drop and the POST then reuse); the POST dials
	// none.
	wantConns(t, conns, 2)
}

// Only requests that may safely arrive twice are resent after a pooled
// connection fails under them (net/http's rule).
func TestResendable(t *testing.T) {
	withBody := func(method string, getBody bool, header ...string) *http.Request {
		r, _ := http.NewRequest(method, "http://x/", strings.NewReader("b"))
		if !getBody {
			r.GetBody = nil
		}
		for _, h := range header {
			r.Header.Set(h, "k")
		}
		return r
	}
	get, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	for _, tc := range []struct {
		name string
		req  *http.Request
		want bool
	}{
		{"GET", get, true},
		{"POST (orders an uttrekk)", withBody(http.MethodPost, true), false},
		{"POST with Idempotency-Key", withBody(http.MethodPost, true, "Idempotency-Key"), true},
		{"POST with X-Idempotency-Key", withBody(http.MethodPost, true, "X-Idempotency-Key"), true},
		{"POST with key but no GetBody", withBody(http.MethodPost, false, "Idempotency-Key"), false},
		{"PUT", withBody(http.MethodPut, true), false},
	} {
		if got := resendable(tc.req); got != tc.want {
			t.Errorf("%s: resendable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTransportDoesNotRetry(t *testing.T) {
	var hits atomic.Int32
	srv, _ := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hangup":
			hits.Add(1)
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		case "/partial":
			hits.Add(1)
			conn, buf, _ := http.NewResponseController(w).Hijack()
			buf.WriteString("HTTP/1.1 200")
			buf.Flush()
			conn.Close()
		default:
			echoPath(w, r)
		}
	})
	tr := newTestTransport(t, TransportConfig{})
	// A new connection that fails is not stale: the server saw the request.
	if _, err := fetch(context.Background(), tr, http.MethodGet, srv.URL+"/hangup", nil); err == nil {
		t.Error("hang-up on a new connection succeeded")
	}
	if n := hits.Swap(0); n != 1 {
		t.Errorf("/hangup on a new connection sent %d times, want 1", n)
	}
	// A response that began is never retried, even on a reused connection.
	mustFetch(t, tr, srv.URL+"/a", "/a")
	if _, err := fetch(context.Background(), tr, http.MethodGet, srv.URL+"/partial", nil); err == nil {
		t.Error("partial response succeeded")
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("/partial sent %d times, want 1", n)
	}
}

func TestTransportBodyFraming(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 10<<10) // 160 KiB, past the read buffer
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			for i := 0; i < len(big); i += 7000 {
				io.WriteString(w, big[i:min(i+7000, len(big))])
				w.(http.Flusher).Flush()
			}
		case "/length":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			io.WriteString(w, big)
		case "/empty":
			w.WriteHeader(http.StatusOK)
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "closing")
		}
	})
	tr := newTestTransport(t, TransportConfig{})
	for _, p := range []string{"/chunked", "/length", "/chunked", "/length"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != big {
			t.Fatalf("%s: %d bytes, %v", p, len(b), err)
		}
		if chunked := len(resp.TransferEncoding) > 0; chunked != (p == "/chunked") {
			t.Errorf("%s: TransferEncoding %q", p, resp.TransferEncoding)
		}
	}
	mustFetch(t, tr, srv.URL+"/empty", "")
	mustFetch(t, tr, srv.URL+"/empty", "")
	wantConns(t, conns, 1)

	// Connection: close in the response: the next request dials.
	mustFetch(t, tr, srv.URL+"/close", "closing")
	mustFetch(t, tr, srv.URL+"/empty", "")
	wantConns(t, conns, 2)

	// Close asked by the request: likewise.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/empty", nil)
	req.Close = true
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mustFetch(t, tr, srv.URL+"/empty", "")
	wantConns(t, conns, 3)
}

// serveOnHijacked answers the first request with first and every later
// request on the same connection with "reused", whatever either side
// asked, so that a test sees a connection reused against the headers.
func serveOnHijacked(w http.ResponseWriter, first string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	buf.WriteString(first)
	for buf.Flush() == nil {
		req, err := http.ReadRequest(buf.Reader)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nreused")
	}
}

func TestTransportHonoursClose(t *testing.T) {
	srv, _ := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/response-close":
			serveOnHijacked(w, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nfirst")
		case "/request-close":
			serveOnHijacked(w, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst")
		default:
			echoPath(w, r)
		}
	})
	tr := newTestTransport(t, TransportConfig{})
	closeByField := func(r *http.Request) { r.Close = true }
	closeByHeader := func(r *http.Request) { r.Header.Set("Connection", "keep-alive, Close") }
	for i, ask := range []func(*http.Request){nil, closeByField, closeByHeader} {
		p := "/request-close"
		if ask == nil {
			p = "/response-close"
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		if ask != nil {
			ask(req)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "first" {
			t.Fatalf("case %d: body %q, %v", i, b, err)
		}
		next := "/next/" + strconv.Itoa(i)
		mustFetch(t, tr, srv.URL+next, next)
	}
}

func TestTransportUnreadBody(t *testing.T) {
	// giveUp ends the endless body should Close try to drain it, so that
	// the failure is reported rather than hanging the test.
	giveUp := make(chan struct{})
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/endless" {
			echoPath(w, r)
			return
		}
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for {
			select {
			case <-giveUp:
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	tr := newTestTransport(t, TransportConfig{})
	mustFetch(t, tr, srv.URL+"/a", "/a")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/endless", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	// Close must not drain: this body never ends.
	closed := make(chan struct{})
	go func() {
		resp.Body.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		close(giveUp)
		<-closed
		t.Fatal("Close of an unread body blocked")
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := resp.Body.Read(make([]byte, 1)); err == nil {
		t.Error("read after Close succeeded")
	}
	mustFetch(t, tr, srv.URL+"/b", "/b")
	wantConns(t, conns, 2)
}

func TestTransportDeadline(t *testing.T) {
	release := make(chan struct{})
	srv, _ := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "12345")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(3 * time.Second): // bounds a failing test
		}
	})
	defer close(release)
	tr := newTestTransport(t, TransportConfig{})
	for _, p := range []string{"/slow-header", "/slow-body"} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		_, err := fetch(ctx, tr, http.MethodGet, srv.URL+p, nil)
		cancel()
		if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
			t.Errorf("%s: err = %v, want a net.Error timeout", p, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v for a 100ms deadline", p, d)
		}
	}
	if n := tr.idleCount(); n != 0 {
		t.Errorf("%d timed-out connections pooled", n)
	}
}

// A deadline left on a pooled connection by an earlier request must not
// fail a later one.
func TestTransportClearsDeadline(t *testing.T) {
	srv, conns := countingServer(t, false, echoPath)
	tr := newTestTransport(t, TransportConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := fetch(ctx, tr, http.MethodGet, srv.URL+"/a", nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	mustFetch(t, tr, srv.URL+"/b", "/b")
	wantConns(t, conns, 1)
}

func TestTransportCancel(t *testing.T) {
	release := make(chan struct{})
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			case <-time.After(3 * time.Second): // bounds a failing test
			}
		}
		echoPath(w, r)
	})
	defer close(release)
	tr := newTestTransport(t, TransportConfig{})

	t.Run("slow request", func(t *testing.T) {
		mustFetch(t, tr, srv.URL+"/a", "/a")
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := fetch(ctx, tr, http.MethodGet, srv.URL+"/slow", nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("cancellation took %v", d)
		}
		before := conns.Load()
		mustFetch(t, tr, srv.URL+"/b", "/b")
		if conns.Load() != before+1 {
			t.Error("the cancelled request's connection was reused")
		}
	})

	// The cancellation hook fired while the response sat unread in the
	// buffer: reading it may succeed, but the connection, whose deadline the
	// hook set in the past, must not be pooled.
	t.Run("cancel before body read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/c", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		io.ReadAll(resp.Body)
		resp.Body.Close()
		before := conns.Load()
		mustFetch(t, tr, srv.URL+"/d", "/d")
		if conns.Load() != before+1 {
			t.Error("a connection whose cancellation hook fired was reused")
		}
	})

	// Cancelling after the body was read leaves the pooled connection alone.
	t.Run("cancel after body read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		if got, err := fetch(ctx, tr, http.MethodGet, srv.URL+"/e", nil); err != nil || got != "/e" {
			t.Fatalf("GET = %q, %v", got, err)
		}
		cancel()
		before := conns.Load()
		mustFetch(t, tr, srv.URL+"/f", "/f")
		if conns.Load() != before {
			t.Error("connection not reused after a late cancel")
		}
	})

	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := fetch(ctx, tr, http.MethodGet, srv.URL+"/g", nil); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestTransportTLS(t *testing.T) {
	srv, conns := countingServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			t.Error("request without TLS")
		}
		echoPath(w, r)
	})
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr := newTestTransport(t, TransportConfig{TLSConfig: &tls.Config{RootCAs: roots}})
	for i := range 3 {
		p := "/tls/" + strconv.Itoa(i)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != p {
			t.Errorf("got %q", b)
		}
		if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || resp.TLS.NegotiatedProtocol == "h2" {
			t.Errorf("TLS state %+v", resp.TLS)
		}
	}
	wantConns(t, conns, 1)

	// Without the test CA the server is not trusted.
	untrusting := newTestTransport(t, TransportConfig{})
	_, err := fetch(context.Background(), untrusting, http.MethodGet, srv.URL+"/x", nil)
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); !ok {
		t.Errorf("untrusted server: err = %v", err)
	}
}

// A server that accepts but never completes the TLS handshake is bounded
// by TLSHandshakeTimeout and by the request's context.
func TestTransportTLSHandshakeBounded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() { closeConns(held) }()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	target := "https://" + l.Addr().String() + "/"
	tr := newTestTransport(t, TransportConfig{TLSHandshakeTimeout: 100 * time.Millisecond})
	start := time.Now()
	bound, cancelBound := context.WithTimeout(context.Background(), 3*time.Second) // bounds a failing test
	defer cancelBound()
	_, err = fetch(bound, tr, http.MethodGet, target, nil)
	if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		t.Errorf("handshake timeout: err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("handshake timeout took %v", d)
	}

	tr = newTestTransport(t, TransportConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start = time.Now()
	if _, err := fetch(ctx, tr, http.MethodGet, target, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled handshake: err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancelled handshake took %v", d)
	}
}

func closeConns(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

func TestTransportIdleTimeout(t *testing.T) {
	srv, conns := countingServer(t, false, echoPath)
	tr := newTestTransport(t, TransportConfig{IdleConnTimeout: 30 * time.Millisecond})
	mustFetch(t, tr, srv.URL+"/a", "/a")
	mustFetch(t, tr, srv.URL+"/b", "/b")
	wantConns(t, conns, 1)
	time.Sleep(100 * time.Millisecond)
	if n := tr.idleCount(); n != 0 {
		t.Errorf("%d expired connections still pooled", n)
	}
	mustFetch(t, tr, srv.URL+"/c", "/c")
	wantConns(t, conns, 2)

	// takeIdle refuses an expired connection even if the janitor is late.
	tr.mu.Lock()
	if tr.janitor != nil {
		tr.janitor.Stop()
	}
	tr.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	mustFetch(t, tr, srv.URL+"/d", "/d")
	wantConns(t, conns, 3)
}

func TestTransportCloseIdleConnections(t *testing.T) {
	srv, conns := countingServer(t, false, echoPath)
	tr := newTestTransport(t, TransportConfig{})
	mustFetch(t, tr, srv.URL+"/a", "/a")
	tr.CloseIdleConnections()
	if n := tr.idleCount(); n != 0 {
		t.Errorf("%d idle after CloseIdleConnections", n)
	}
	mustFetch(t, tr, srv.URL+"/b", "/b")
	wantConns(t, conns, 2)
}

func TestTransportPoolPerHost(t *testing.T) {
	srvA, connsA := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "A") })
	srvB, connsB := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "B") })
	tr := newTestTransport(t, TransportConfig{})
	for range 5 {
		mustFetch(t, tr, srvA.URL+"/", "A")
		mustFetch(t, tr, srvB.URL+"/", "B")
	}
	wantConns(t, connsA, 1)
	wantConns(t, connsB, 1)
}

func TestTransportRequestShape(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv, _ := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, gotBody = r, string(b)
	})
	tr := newTestTransport(t, TransportConfig{})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/p/a%2Fb?x=1", strings.NewReader(`{"a":1}`))
	req.Host = "folkeregisteret.example"
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request != req {
		t.Error("resp.Request is not the request sent")
	}
	if got.Host != "folkeregisteret.example" || got.URL.EscapedPath() != "/p/a%2Fb" || got.URL.RawQuery != "x=1" ||
		got.Header.Get("Authorization") != "Bearer tok" || got.ContentLength != 7 || gotBody != `{"a":1}` {
		t.Errorf("server saw host %q path %q query %q headers %v body %q", got.Host, got.URL.EscapedPath(), got.URL.RawQuery, got.Header, gotBody)
	}
}

func TestTransportErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tr := newTestTransport(t, TransportConfig{})
	_, err = fetch(context.Background(), tr, http.MethodGet, "http://"+addr+"/personer/"+testID+"?part=navn", nil)
	if oe, ok := errors.AsType[*net.OpError](err); !ok || oe.Op != "dial" {
		t.Errorf("refused: err = %#v, want a dial *net.OpError", err)
	}
	if err != nil && (strings.Contains(err.Error(), testID) || strings.Contains(err.Error(), "personer")) {
		t.Errorf("error names the path: %v", err)
	}
	for _, target := range []string{"ftp://" + addr + "/x", "http:///x"} {
		req := &http.Request{Method: http.MethodGet, URL: mustParse(t, target), Header: http.Header{}}
		if _, err := tr.RoundTrip(req); err == nil {
			t.Errorf("%s accepted", target)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTransportSkipsInformational(t *testing.T) {
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "final")
	})
	tr := newTestTransport(t, TransportConfig{})
	mustFetch(t, tr, srv.URL+"/", "final")
	mustFetch(t, tr, srv.URL+"/", "final")
	wantConns(t, conns, 1)
}

// TestDefaultClient drives a Client built without an HTTPClient, i.e. over
// Transport, through a lookup and a POST route.
func TestDefaultClient(t *testing.T) {
	id := testID
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.Path {
		case "GET /api/v1/personer/" + id:
			io.WriteString(w, `{"identifikasjonsnummer":[{"foedselsEllerDNummer":"`+id+`"}]}`)
		case "POST /api/v1/personer/bulkoppslag":
			b, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(b), id) {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			io.WriteString(w, `{"oppslag":[{"foedselsEllerDNummer":"`+id+`"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	c, err := New(Config{BaseURL: srv.URL + "/api", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.hc.Transport.(*Transport); !ok {
		t.Fatalf("default transport is %T", c.hc.Transport)
	}
	ctx := context.Background()
	for range 3 {
		p, err := c.Person(ctx, id, nil)
		if err != nil || len(p.Identifikasjonsnummer) != 1 || p.Identifikasjonsnummer[0].FoedselsEllerDNummer != id {
			t.Fatalf("Person = %+v, %v", p, err)
		}
		res, err := c.BulkLookup(ctx, []string{id}, nil)
		if err != nil || len(res) != 1 || res[0].FoedselsEllerDNummer != id {
			t.Fatalf("BulkLookup = %+v, %v", res, err)
		}
	}
	if _, err := c.Person(ctx, "00000000000", nil); !errors.Is(err, freg.ErrNotFound) {
		t.Errorf("404: %v", err)
	}
	wantConns(t, conns, 1)
}

func TestDefaultClientBehindProxy(t *testing.T) {
	base := mustParse(t, "https://folkeregisteret.example/api")
	viaProxy := func(*http.Request) (*url.URL, error) { return mustParse(t, "http://proxy.example:3128"), nil }
	direct := func(*http.Request) (*url.URL, error) { return nil, nil }
	hc := defaultHTTPClient(base, viaProxy)
	if tr, ok := hc.Transport.(*http.Transport); !ok || tr.Proxy == nil {
		t.Errorf("with a proxy: transport %T", hc.Transport)
	}
	hc = defaultHTTPClient(base, direct)
	if _, ok := hc.Transport.(*Transport); !ok {
		t.Errorf("without a proxy: transport %T", hc.Transport)
	}
	if hc.CheckRedirect == nil {
		t.Error("redirects followed")
	}
}

// BenchmarkRoundTrip compares Transport with net/http's over loopback
// against one in-process server, so the figures include the server's CPU.
// The answer is the size of a person document.
func BenchmarkRoundTrip(b *testing.B) {
	doc := bytes.Repeat([]byte("x"), 8<<10)
	srv, _ := countingServer(b, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
	transports := []struct {
		name string
		new  func() http.RoundTripper
	}{
		{"fregclient", func() http.RoundTripper { return NewTransport(TransportConfig{}) }},
		{"net-http", func() http.RoundTripper {
			return &http.Transport{MaxIdleConnsPerHost: DefaultMaxIdleConnsPerHost, DisableCompression: true}
		}},
	}
	for _, tc := range transports {
		roundTrip := func(b *testing.B, tr http.RoundTripper, buf *bytes.Buffer) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/personer/x", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			buf.Reset()
			_, err = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if err != nil || buf.Len() != len(doc) {
				b.Fatalf("%d bytes, %v", buf.Len(), err)
			}
		}
		b.Run(tc.name+"/serial", func(b *testing.B) {
			tr := tc.new()
			defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, tr, &buf)
			}
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			tr := tc.new()
			defer tr.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var buf bytes.Buffer
				for pb.Next() {
					roundTrip(b, tr, &buf)
				}
			})
		})
	}
}
