package fregclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults for TransportConfig fields left zero.
const (
	DefaultDialTimeout         = 30 * time.Second
	DefaultTCPKeepAlive        = 30 * time.Second
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultMaxIdleConnsPerHost = 64
	DefaultIdleConnTimeout     = 90 * time.Second
)

const (
	readBufferSize  = 16 << 10 // a person document (~8 KiB) plus headers in one read
	writeBufferSize = 4 << 10
	// maxInformational bounds how many 1xx answers are skipped before the
	// final one, so that a misbehaving server cannot keep a request forever.
	maxInformational = 5
)

// aLongTimeAgo is a deadline that has passed: setting it makes any blocked
// read or write on the conn return at once.
var aLongTimeAgo = time.Unix(1, 0)

var (
	errUnsupportedScheme = errors.New("fregclient: transport supports only http and https URLs")
	errNoHost            = errors.New("fregclient: request URL has no host")
	errSwitchingProtocol = errors.New("fregclient: unexpected 101 Switching Protocols")
	errTooManyInfo       = errors.New("fregclient: too many 1xx informational responses")
	errBodyClosed        = errors.New("fregclient: read on closed response body")
)

// TransportConfig configures a Transport. Zero (or negative) fields take
// the defaults above, except as noted.
type TransportConfig struct {
	// DialTimeout bounds connecting, DNS included.
	DialTimeout time.Duration
	// TCPKeepAlive is the keep-alive probe period; negative disables it.
	TCPKeepAlive time.Duration
	// TLSConfig is used for https; it is cloned, with ServerName set to the
	// URL's host when empty, MinVersion at least TLS 1.2 and only
	// http/1.1 offered by ALPN. nil means the system roots.
	TLSConfig *tls.Config
	// TLSHandshakeTimeout bounds the TLS handshake of a new connection.
	TLSHandshakeTimeout time.Duration
	// MaxIdleConnsPerHost bounds the idle connections kept per host:port;
	// a connection returned beyond it is closed.
	MaxIdleConnsPerHost int
	// IdleConnTimeout is how long a connection may sit idle; an older one
	// is closed instead of reused.
	IdleConnTimeout time.Duration
}

// Transport is an HTTP/1.1 http.RoundTripper that does each round trip on
// the calling goroutine over pooled keep-alive connections. net/http's
// Transport hands every request to a connection's read and write
// goroutines and back; on a small machine those hand-offs cost measurable
// CPU per lookup, and this client needs none of what they buy: HTTP/2,
// proxies, reading a response while the request body is still being
// written.
//
// A request body is written before the response is read, so a server that
// answers early without reading the body must still read or discard it.
// Responses are not transparently decompressed.
//
// Transport is safe for concurrent use. It never logs, and its own errors
// never hold the URL.
type Transport struct {
	dialer              net.Dialer
	tlsConfig           *tls.Config
	tlsHandshakeTimeout time.Duration
	maxIdlePerHost      int
	idleTimeout         time.Duration

	mu    sync.Mutex
	pools map[poolKey]*hostPool // one per scheme and URL host ever used; never shrinks
	// janitor closes connections idle past idleTimeout even when no
	// request comes to notice; armed only while some connection is idle.
	janitor      *time.Timer
	janitorArmed bool
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport configured by cfg.
func NewTransport(cfg TransportConfig) *Transport {
	t := &Transport{
		dialer: net.Dialer{
			Timeout:   orDefault(cfg.DialTimeout, DefaultDialTimeout),
			KeepAlive: cfg.TCPKeepAlive,
		},
		tlsHandshakeTimeout: orDefault(cfg.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		maxIdlePerHost:      cfg.MaxIdleConnsPerHost,
		idleTimeout:         orDefault(cfg.IdleConnTimeout, DefaultIdleConnTimeout),
		pools:               make(map[poolKey]*hostPool),
	}
	if t.maxIdlePerHost <= 0 {
		t.maxIdlePerHost = DefaultMaxIdleConnsPerHost
	}
	if t.dialer.KeepAlive == 0 { // negative stays: net.Dialer reads it as off
		t.dialer.KeepAlive = DefaultTCPKeepAlive
	}
	if cfg.TLSConfig != nil {
		t.tlsConfig = cfg.TLSConfig.Clone()
	} else {
		t.tlsConfig = &tls.Config{}
	}
	t.tlsConfig.MinVersion = max(t.tlsConfig.MinVersion, tls.VersionTLS12)
	// Offering only http/1.1 keeps a server from choosing h2, which this
	// transport does not speak.
	t.tlsConfig.NextProtos = []string{"http/1.1"}
	return t
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// poolKey is the URL's scheme and host as written. Two spellings of one
// host get two pools, which costs a connection but never sends a request
// to the wrong host.
type poolKey struct {
	scheme, host string
}

type hostPool struct {
	addr      string      // host:port to dial
	tlsConfig *tls.Config // nil for http
	idle      []*persistConn
}

// persistConn is one keep-alive connection. It is owned by one round trip
// at a time, or by the pool; only interrupt may run concurrently.
type persistConn struct {
	conn      net.Conn
	pool      *hostPool
	br        *bufio.Reader
	bw        *bufio.Writer
	tlsState  *tls.ConnectionState
	reused    bool      // taken from the pool rather than dialled for this request
	idleSince time.Time // when it was put into the pool
	deadline  time.Time // last deadline set, to skip redundant calls

	// nread counts bytes read from conn during the current round trip, and
	// writeErr is its last write error: together they tell a connection
	// the server had already closed from a failure of the request itself.
	nread    int64
	writeErr error

	interruptFunc func() // pc.interrupt, bound once rather than per request
}

func (pc *persistConn) Read(p []byte) (int, error) {
	n, err := pc.conn.Read(p)
	pc.nread += int64(n)
	return n, err
}

func (pc *persistConn) Write(p []byte) (int, error) {
	n, err := pc.conn.Write(p)
	if err != nil {
		pc.writeErr = err
	}
	return n, err
}

// interrupt unblocks any read or write on the connection; it runs when the
// request's context ends.
func (pc *persistConn) interrupt() { pc.conn.SetDeadline(aLongTimeAgo) }

func (pc *persistConn) setDeadline(d time.Time) {
	if !d.Equal(pc.deadline) {
		pc.conn.SetDeadline(d)
		pc.deadline = d
	}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p, err := t.poolFor(req)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	ctx := req.Context()
	sent := req
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			closeRequestBody(sent)
			return nil, err
		}
		// The retry dials: if the pooled connection was stale, its
		// older siblings probably are too.
		pc, err := t.getConn(ctx, p, attempt > 0)
		if err != nil {
			closeRequestBody(sent)
			return nil, err
		}
		resp, retryable, err := t.roundTripOn(pc, sent)
		if err == nil {
			resp.Request = req
			return resp, nil
		}
		if !retryable || attempt > 0 || !resendable(req) {
			return nil, err
		}
		if sent, err = rewound(req); err != nil {
			return nil, err
		}
	}
}

func (t *Transport) poolFor(req *http.Request) (*hostPool, error) {
	u := req.URL
	if u == nil {
		return nil, errNoHost
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errUnsupportedScheme
	}
	if u.Host == "" {
		return nil, errNoHost
	}
	key := poolKey{u.Scheme, u.Host}
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.pools[key]; p != nil {
		return p, nil
	}
	p := &hostPool{addr: hostPort(u)}
	if u.Scheme == "https" {
		p.tlsConfig = t.tlsConfig
		if p.tlsConfig.ServerName == "" {
			p.tlsConfig = t.tlsConfig.Clone()
			p.tlsConfig.ServerName = u.Hostname()
		}
	}
	t.pools[key] = p
	return p, nil
}

// resendable reports whether req may be sent again, by net/http's rule: its
// body, if any, can be obtained anew, and sending it twice does no harm (an
// idempotent method, or an idempotency key the server deduplicates by). A
// POST that orders an uttrekk is not resent: the server may have taken the
// order before the connection broke.
func resendable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// rewound returns req with a fresh body for a second attempt.
func rewound(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := *req
	r.Body = body
	return &r, nil
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// wantsClose reports whether the request asks for the connection to be
// closed after it, by field or by header.
func wantsClose(req *http.Request) bool {
	if req.Close {
		return true
	}
	for _, v := range req.Header["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(tok), "close") {
				return true
			}
		}
	}
	return false
}

// roundTripOn sends req on pc and reads the response header. pc is closed
// on error; on success it belongs to the returned body (or is back in the
// pool when there is none). retryable reports an error that means pc had
// been closed by the server before it saw this request.
func (t *Transport) roundTripOn(pc *persistConn, req *http.Request) (resp *http.Response, retryable bool, err error) {
	ctx := req.Context()
	deadline, _ := ctx.Deadline()
	pc.setDeadline(deadline)
	pc.nread, pc.writeErr = 0, nil
	stop := context.AfterFunc(ctx, pc.interruptFunc)
	// fail ends the attempt. A stale pooled connection shows as a failed
	// write, or as EOF or a reset before the first response byte; a
	// timeout or a cancellation is never a stale connection.
	fail := func(err error) (*http.Response, bool, error) {
		interrupted := !stop()
		pc.conn.Close()
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		stale := pc.reused && !interrupted && !isTimeout(err) &&
			(pc.writeErr != nil || (pc.nread == 0 && connGone(err)))
		return nil, stale, err
	}

	if err := req.Write(pc.bw); err != nil {
		return fail(err)
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(err)
	}
	for informational := 0; ; informational++ {
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			return fail(err)
		}
		if resp.StatusCode >= 200 {
			break
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return fail(errSwitchingProtocol)
		}
		if informational == maxInformational {
			return fail(errTooManyInfo)
		}
		// Any other 1xx has no body and precedes the real answer.
	}
	resp.TLS = pc.tlsState
	reusable := !resp.Close && !wantsClose(req)
	if resp.Body == http.NoBody {
		t.release(pc, stop, reusable)
		return resp, false, nil
	}
	resp.Body = &connBody{body: resp.Body, t: t, pc: pc, ctx: ctx, stop: stop, reusable: reusable}
	return resp, false, nil
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// connGone reports a read error meaning the server had closed the
// connection.
func connGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED)
}

// release ends pc's round trip: back to the pool if the exchange left it
// clean, closed otherwise. stop is the round trip's context.AfterFunc
// stop; false means the interrupt ran or is running, so the connection's
// deadline may be in the past at any moment and it must not be reused.
func (t *Transport) release(pc *persistConn, stop func() bool, reusable bool) {
	if stop() && reusable && pc.br.Buffered() == 0 {
		t.putIdle(pc)
		return
	}
	pc.conn.Close()
}

// connBody is a response body that hands its connection back when the
// body has been read to EOF, or closes it when the body is abandoned.
type connBody struct {
	body     io.ReadCloser // net/http's body reader; never closed, because its Close drains
	t        *Transport
	pc       *persistConn
	ctx      context.Context
	stop     func() bool
	reusable bool // as far as the response and request headers go

	finished atomic.Bool // the connection has been released or closed
	closed   atomic.Bool
}

func (b *connBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, errBodyClosed
	}
	// After EOF net/http's body answers EOF without touching the reader
	// below, so a read after the connection went back to the pool cannot
	// steal another request's bytes.
	n, err := b.body.Read(p)
	if err != nil {
		b.finish(err == io.EOF && b.reusable)
		if err != io.EOF && b.ctx.Err() != nil {
			err = b.ctx.Err()
		}
	}
	return n, err
}

// Close closes the connection unless the body was read to EOF: draining
// an unread body could mean reading without bound.
func (b *connBody) Close() error {
	b.closed.Store(true)
	b.finish(false)
	return nil
}

func (b *connBody) finish(reusable bool) {
	if b.finished.CompareAndSwap(false, true) {
		b.t.release(b.pc, b.stop, reusable)
	}
}

// getConn returns a pooled connection, or a new one when fresh is set or
// none is idle.
func (t *Transport) getConn(ctx context.Context, p *hostPool, fresh bool) (*persistConn, error) {
	if !fresh {
		if pc := t.takeIdle(p); pc != nil {
			return pc, nil
		}
	}
	return t.dial(ctx, p)
}

// takeIdle pops the most recently used idle connection: it is the least
// likely to have been closed by the server.
func (t *Transport) takeIdle(p *hostPool) *persistConn {
	t.mu.Lock()
	n := len(p.idle)
	if n == 0 {
		t.mu.Unlock()
		return nil
	}
	pc := p.idle[n-1]
	if time.Since(pc.idleSince) <= t.idleTimeout {
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		t.mu.Unlock()
		// A connection the server has closed while it idled would fail
		// the request, and a POST cannot always be resent: look first.
		if !stillOpen(pc.conn) {
			pc.conn.Close()
			return t.takeIdle(p)
		}
		pc.reused = true
		return pc
	}
	// The newest has expired, so all have (the pool is ordered by
	// idleSince): the janitor is late.
	expired := slices.Clone(p.idle)
	clear(p.idle)
	p.idle = p.idle[:0]
	t.mu.Unlock()
	closeAll(expired)
	return nil
}

func (t *Transport) putIdle(pc *persistConn) {
	t.mu.Lock()
	p := pc.pool
	if len(p.idle) >= t.maxIdlePerHost {
		t.mu.Unlock()
		pc.conn.Close()
		return
	}
	pc.idleSince = time.Now() // under the lock, so that p.idle stays ordered
	p.idle = append(p.idle, pc)
	if !t.janitorArmed {
		t.armJanitorLocked(t.idleTimeout)
	}
	t.mu.Unlock()
}

func (t *Transport) armJanitorLocked(d time.Duration) {
	t.janitorArmed = true
	if t.janitor == nil {
		t.janitor = time.AfterFunc(d, t.closeExpiredIdle)
	} else {
		t.janitor.Reset(d)
	}
}

// closeExpiredIdle closes the connections idle longer than idleTimeout
// and re-arms for the next expiry while any remain.
func (t *Transport) closeExpiredIdle() {
	var expired []*persistConn
	t.mu.Lock()
	now := time.Now()
	next := time.Duration(-1)
	for _, p := range t.pools {
		k := 0
		for k < len(p.idle) && now.Sub(p.idle[k].idleSince) >= t.idleTimeout {
			k++
		}
		expired = append(expired, p.idle[:k]...)
		rest := copy(p.idle, p.idle[k:])
		clear(p.idle[rest:])
		p.idle = p.idle[:rest]
		if rest > 0 {
			if d := t.idleTimeout - now.Sub(p.idle[0].idleSince); next < 0 || d < next {
				next = d
			}
		}
	}
	t.janitorArmed = false
	if next >= 0 {
		t.armJanitorLocked(next + time.Millisecond)
	}
	t.mu.Unlock()
	closeAll(expired)
}

// CloseIdleConnections closes all idle connections; those in use are
// unaffected. http.Client.CloseIdleConnections calls it.
func (t *Transport) CloseIdleConnections() {
	var idle []*persistConn
	t.mu.Lock()
	for _, p := range t.pools {
		idle = append(idle, p.idle...)
		clear(p.idle)
		p.idle = p.idle[:0]
	}
	t.mu.Unlock()
	closeAll(idle)
}

func closeAll(conns []*persistConn) {
	for _, pc := range conns {
		pc.conn.Close()
	}
}

// dial connects to p's host and, for https, completes the TLS handshake.
// Errors are those of net and crypto/tls, unwrapped, so that callers can
// tell a dial failure or a timeout apart; none holds the URL.
func (t *Transport) dial(ctx context.Context, p *hostPool) (*persistConn, error) {
	conn, err := t.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	pc := &persistConn{conn: conn, pool: p}
	if p.tlsConfig != nil {
		tc := tls.Client(conn, p.tlsConfig)
		if err := t.handshake(ctx, tc); err != nil {
			conn.Close()
			return nil, err
		}
		state := tc.ConnectionState()
		pc.conn, pc.tlsState = tc, &state
	}
	pc.br = bufio.NewReaderSize(pc, readBufferSize)
	pc.bw = bufio.NewWriterSize(pc, writeBufferSize)
	pc.interruptFunc = pc.interrupt
	return pc, nil
}

// handshake runs the TLS handshake bounded by the handshake timeout and
// ctx. It uses a deadline rather than HandshakeContext, which would start
// a goroutine to watch ctx.
func (t *Transport) handshake(ctx context.Context, tc *tls.Conn) error {
	deadline := time.Now().Add(t.tlsHandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tc.NetConn().SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { tc.NetConn().SetDeadline(aLongTimeAgo) })
	err := tc.Handshake()
	if !stop() {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
	}
	if err != nil {
		return err
	}
	// The round trip sets its own deadline; clear the handshake's.
	return tc.NetConn().SetDeadline(time.Time{})
}
