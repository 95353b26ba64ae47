// Package fregclient implements freg.Client over HTTP against Folkeregisteret
// or anything that speaks its wire format (fregsim, a Fiks-like proxy).
//
// Errors map to the freg sentinels: 400 → ErrInvalid (with the upstream
// melding, identity-number-shaped digit runs removed), 401/403 →
// ErrForbidden, 404 → ErrNotFound (ErrNotReady for uttrekk batches), 410 →
// ErrGone, 429 → retried, then ErrThrottled, other statuses and malformed
// or oversized answers → ErrUpstream, deadline → ErrTimeout, unreachable host
// → ErrUpstream naming host:port. No error string ever holds a request path
// or query, because those carry identity numbers and search terms.
package fregclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"folkevakt/gateway/freg"
)

// Defaults for Config fields left zero.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxRetries       = 3
	DefaultMaxResponseBytes = 64 << 20
)

const (
	// maxRetryWait caps a single wait for Retry-After, whatever upstream asks.
	maxRetryWait = 5 * time.Second
	// fallbackRetryWait is waited when a 429 carries no usable Retry-After.
	fallbackRetryWait = 200 * time.Millisecond
	// maxMeldingLen bounds the upstream melding quoted in ErrInvalid.
	maxMeldingLen = 200
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API up to and including the package prefix, e.g.
	// https://folkeregisteret.api.skatteetaten.no/folkeregisteret/offentlig-med-hjemmel/api
	BaseURL string
	// HTTPClient is used as given; nil builds one with keep-alives, a pool
	// of 64 idle connections per host, and redirects refused, over this
	// package's Transport (net/http's when an HTTP proxy is configured
	// through the environment).
	HTTPClient *http.Client
	// Timeout bounds one method call, retries included; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how often a 429 is retried; 0 means DefaultMaxRetries,
	// negative means never.
	MaxRetries int
	// TokenSource returns the bearer token for each request (Maskinporten
	// for a real FREG); nil sends no Authorization header.
	TokenSource func(ctx context.Context) (string, error)
	// MaxResponseBytes bounds an answer body; a larger one is ErrUpstream.
	// 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	Logger           *slog.Logger
}

// Client is a freg.Client over HTTP. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	host       string // host:port, the only part of the URL errors may name
	hc         *http.Client
	timeout    time.Duration
	maxRetries int
	token      func(ctx context.Context) (string, error)
	maxBody    int64
	log        *slog.Logger

	// feedMu guards the ETag of the last empty feed page. Only an empty page
	// is remembered: a 304 then truthfully means "still nothing new",
	// whereas replaying a non-empty page's tag would turn its items into
	// an empty answer.
	feedMu   sync.Mutex
	feedSeq  int64
	feedETag string
}

var _ freg.Client = (*Client)(nil)

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("fregclient: BaseURL must be an absolute http(s) URL without query, fragment or credentials")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	if cfg.Logger == nil {
		return nil, errors.New("fregclient: Logger is required")
	}
	c := &Client{
		base:       u,
		host:       hostPort(u),
		hc:         cfg.HTTPClient,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		token:      cfg.TokenSource,
		maxBody:    cfg.MaxResponseBytes,
		log:        cfg.Logger,
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient(u, http.ProxyFromEnvironment)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	return c, nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// defaultHTTPClient returns the client used when Config.HTTPClient is nil:
// this package's Transport, which spares the goroutine hand-offs of
// net/http's on every lookup, unless proxy (http.ProxyFromEnvironment in
// production) sends base through an HTTP proxy. Proxies need CONNECT and
// more, which net/http already does well.
func defaultHTTPClient(base *url.URL, proxy func(*http.Request) (*url.URL, error)) *http.Client {
	c := &http.Client{
		// A FREG API does not redirect; following one could carry the bearer
		// token or an identity number somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// A proxy setting that cannot be read is left to net/http to report.
	if p, err := proxy(&http.Request{URL: base}); p != nil || err != nil {
		c.Transport = &http.Transport{
			Proxy:                 proxy,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
		return c
	}
	c.Transport = NewTransport(TransportConfig{
		DialTimeout:         5 * time.Second,
		TCPKeepAlive:        30 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	})
	return c
}

// call describes one API request. route is the path template relative to
// the package prefix: it names the request in logs and errors instead of the
// path, which may hold identity numbers.
type call struct {
	method string
	route  string
	path   []string // escaped one by one and joined with "/"
	query  url.Values
	body   any
	header http.Header
	// notFound is the sentinel for 404 on this route.
	notFound error
}

// response is a successful (2xx or 304) answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do runs c with the per-call timeout, retrying 429 as upstream asks.
func (c *Client) do(ctx context.Context, cl call) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return response{}, fmt.Errorf("%w: %s %s: encode request: %v", freg.ErrInvalid, cl.method, cl.route, err)
		}
		body = b
	}
	target, err := c.target(cl)
	if err != nil {
		return response{}, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, cl, target, body)
		if err != nil {
			return response{}, err
		}
		if resp.status != http.StatusTooManyRequests {
			return c.check(cl, resp)
		}
		wait := retryAfter(resp.header.Get("Retry-After"), time.Now())
		deadline, _ := ctx.Deadline()
		if attempt >= c.maxRetries || time.Until(deadline) < wait {
			return response{}, fmt.Errorf("%w: %s %s: still throttled after %d retries", freg.ErrThrottled, cl.method, cl.route, attempt)
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "freg throttled, retrying",
			slog.String("method", cl.method), slog.String("route", cl.route),
			slog.Int("attempt", attempt+1), slog.Duration("wait", wait))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return response{}, c.ctxError(ctx, cl)
		case <-t.C:
		}
	}
}

// target builds the request URL. Each path segment is escaped on its own;
// empty and dot segments are refused so that no argument can step out of
// its place in the path.
func (c *Client) target(cl call) (string, error) {
	raw := c.base.EscapedPath() + "/v1"
	for _, seg := range cl.path {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: %s %s: empty or dot path segment", freg.ErrInvalid, cl.method, cl.route)
		}
		raw += "/" + url.PathEscape(seg)
	}
	u := *c.base
	u.Path, _ = url.PathUnescape(raw) // raw was escaped just above
	u.RawPath = raw
	u.RawQuery = cl.query.Encode()
	return u.String(), nil
}

// attempt sends one request and reads the whole answer.
func (c *Client) attempt(ctx context.Context, cl call, target string, body []byte) (response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, rd)
	if err != nil {
		return response{}, fmt.Errorf("%w: %s %s: build request", freg.ErrInvalid, cl.method, cl.route)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range cl.header {
		req.Header[k] = vs
	}
	if c.token != nil {
		tok, err := c.token(ctx)
		if err != nil {
			return response{}, fmt.Errorf("%w: %s %s: access token: %w", freg.ErrUpstream, cl.method, cl.route, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, c.transportError(ctx, cl, err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp, c.maxBody+1)
	c.log.LogAttrs(ctx, slog.LevelDebug, "freg request",
		slog.String("method", cl.method), slog.String("route", cl.route),
		slog.Int("status", resp.StatusCode), slog.Duration("duration", time.Since(start)))
	if err != nil {
		if ctx.Err() != nil {
			return response{}, c.ctxError(ctx, cl)
		}
		return response{}, fmt.Errorf("%w: %s %s: response body truncated (%s)", freg.ErrUpstream, cl.method, cl.route, c.host)
	}
	if int64(len(data)) > c.maxBody {
		return response{}, fmt.Errorf("%w: %s %s: response larger than %d bytes", freg.ErrUpstream, cl.method, cl.route, c.maxBody)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// readBody reads at most limit bytes of the answer into one buffer sized
// from Content-Length (or 8 KiB, a person document's size), sparing
// io.ReadAll's doubling copies on every lookup.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	size := int64(8 << 10)
	if n := resp.ContentLength; n >= 0 && n < limit {
		size = n + 1 // +1: the read that sees EOF needs room
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit))
	return buf.Bytes(), err
}

// check maps a non-429 status to the freg sentinels.
func (c *Client) check(cl call, resp response) (response, error) {
	where := cl.method + " " + cl.route
	switch s := resp.status; {
	case s >= 200 && s < 300, s == http.StatusNotModified:
		return resp, nil
	case s == http.StatusBadRequest:
		if m := melding(resp.body); m != "" {
			return response{}, fmt.Errorf("%w: %s: %s", freg.ErrInvalid, where, m)
		}
		return response{}, fmt.Errorf("%w: %s", freg.ErrInvalid, where)
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return response{}, fmt.Errorf("%w: %s: status %d", freg.ErrForbidden, where, s)
	case s == http.StatusNotFound && cl.notFound != nil:
		return response{}, fmt.Errorf("%w: %s", cl.notFound, where)
	case s == http.StatusGone:
		return response{}, fmt.Errorf("%w: %s", freg.ErrGone, where)
	default:
		return response{}, fmt.Errorf("%w: %s: unexpected status %d", freg.ErrUpstream, where, s)
	}
}

// melding extracts FREG's error text from a 400 body. Upstream text is not
// trusted: identity-number-shaped digit runs are removed, control
// characters dropped and the length bounded.
func melding(body []byte) string {
	// FREG's documented body, or the spec's FolkeregisterFeilmelding.
	var e struct {
		Kode        string `json:"kode"`
		Melding     string `json:"melding"`
		Feilkode    string `json:"feilkode"`
		Feilmelding string `json:"feilmelding"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Melding == "" {
		e.Kode, e.Melding = e.Feilkode, e.Feilmelding
	}
	if e.Melding == "" {
		return ""
	}
	m := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, freg.RedactIdentityNumbers(e.Melding))
	if len(m) > maxMeldingLen {
		m = strings.ToValidUTF8(m[:maxMeldingLen], "") + "…"
	}
	if e.Kode != "" && len(e.Kode) <= 20 {
		m = freg.RedactIdentityNumbers(e.Kode) + " " + m
	}
	return m
}

// transportError classifies a failed round trip without using the
// *url.Error text, which contains the URL.
func (c *Client) transportError(ctx context.Context, cl call, err error) error {
	where := cl.method + " " + cl.route
	if ctx.Err() != nil {
		return c.ctxError(ctx, cl)
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return fmt.Errorf("%w: %s: no answer from %s", freg.ErrTimeout, where, c.host)
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return fmt.Errorf("%w: %s: upstream unreachable (%s): host not found", freg.ErrUpstream, where, c.host)
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "dial" {
		return fmt.Errorf("%w: %s: upstream unreachable (%s): %s", freg.ErrUpstream, where, c.host, freg.RedactIdentityNumbers(oe.Err.Error()))
	}
	return fmt.Errorf("%w: %s: request to %s failed", freg.ErrUpstream, where, c.host)
}

// ctxError reports why ctx ended: the call's deadline is ErrTimeout; a
// cancellation by the caller keeps context.Canceled.
func (c *Client) ctxError(ctx context.Context, cl call) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %s %s: no answer from %s in time", freg.ErrTimeout, cl.method, cl.route, c.host)
	}
	return fmt.Errorf("fregclient: %s %s: %w", cl.method, cl.route, ctx.Err())
}

// retryAfter reads a 429's Retry-After. FREG sends milliseconds, so an
// integer is milliseconds — except below 10, which as milliseconds would be
// no back-off at all and is what a standard HTTP intermediary sends in
// seconds, so it is read as seconds. An HTTP-date waits until then. Missing
// or unreadable values wait fallbackRetryWait. The result is capped at
// maxRetryWait.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		switch {
		case n < 10:
			d = time.Duration(n) * time.Second
		case n > int64(maxRetryWait/time.Millisecond):
			d = maxRetryWait
		default:
			d = time.Duration(n) * time.Millisecond
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		d = fallbackRetryWait
	}
	return min(d, maxRetryWait)
}

// decode unmarshals an answer; anything that is not the expected JSON is an
// upstream failure. Unknown fields are dropped by the typed model.
func decode(cl call, resp response, v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		return fmt.Errorf("%w: %s %s: malformed response", freg.ErrUpstream, cl.method, cl.route)
	}
	return nil
}

func partQuery(parts []string) url.Values {
	if len(parts) == 0 {
		return nil
	}
	return url.Values{freg.ParamPart: parts}
}

// Person implements freg.Client.
func (c *Client) Person(ctx context.Context, id string, parts []string) (*freg.Person, error) {
	cl := call{method: http.MethodGet, route: "v1/personer/{personidentifikator}",
		path: []string{"personer", id}, query: partQuery(parts), notFound: freg.ErrNotFound}
	return c.person(ctx, cl)
}

// PersonJSON is Person without decoding: the person document as FREG sent
// it, for callers that reduce the JSON itself (the gateway's lookup path)
// and would otherwise decode it only to encode it again. Errors are those
// of Person; the body is not checked beyond its status.
func (c *Client) PersonJSON(ctx context.Context, id string, parts []string) ([]byte, error) {
	cl := call{method: http.MethodGet, route: "v1/personer/{personidentifikator}",
		path: []string{"personer", id}, query: partQuery(parts), notFound: freg.ErrNotFound}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

func (c *Client) person(ctx context.Context, cl call) (*freg.Person, error) {
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var p freg.Person
	if err := decode(cl, resp, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// BulkLookup implements freg.Client.
func (c *Client) BulkLookup(ctx context.Context, ids []string, parts []string) ([]freg.BulkResult, error) {
	if len(ids) == 0 || len(ids) > 1000 {
		return nil, fmt.Errorf("%w: bulkoppslag takes 1 to 1000 identity numbers", freg.ErrInvalid)
	}
	cl := call{method: http.MethodPost, route: "v1/personer/bulkoppslag",
		path: []string{"personer", "bulkoppslag"}, query: withSomBestilt(partQuery(parts)),
		body: struct {
			FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
		}{ids}}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var out struct {
		Oppslag []freg.BulkResult `json:"oppslag"`
	}
	if err := decode(cl, resp, &out); err != nil {
		return nil, err
	}
	return out.Oppslag, nil
}

// withSomBestilt asks FREG to answer in request order, duplicates
// included, which is what freg.Client's BulkLookup promises.
func withSomBestilt(v url.Values) url.Values {
	if v == nil {
		v = url.Values{}
	}
	v.Set("somBestilt", "true")
	return v
}

// Search implements freg.Client. q is validated locally first, so that a
// malformed query never leaves the process.
func (c *Client) Search(ctx context.Context, q freg.SearchQuery) ([]string, error) {
	v, err := searchValues(q, nil)
	if err != nil {
		return nil, err
	}
	cl := call{method: http.MethodGet, route: "v1/personer/soek", path: []string{"personer", "soek"}, query: v}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var out struct {
		FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
	}
	if err := decode(cl, resp, &out); err != nil {
		return nil, err
	}
	return out.FoedselsEllerDNummer, nil
}

// UniqueSearch implements freg.Client.
func (c *Client) UniqueSearch(ctx context.Context, q freg.SearchQuery, parts []string) (*freg.Person, error) {
	v, err := searchValues(q, parts)
	if err != nil {
		return nil, err
	}
	return c.person(ctx, call{method: http.MethodGet, route: "v1/personer/entydigsoek",
		path: []string{"personer", "entydigsoek"}, query: v, notFound: freg.ErrNotFound})
}

func searchValues(q freg.SearchQuery, parts []string) (url.Values, error) {
	v := q.Values()
	if _, err := freg.ParseSearchQuery(v); err != nil {
		return nil, err
	}
	if len(parts) > 0 {
		v[freg.ParamPart] = parts
	}
	return v, nil
}

// Feed implements freg.Client. When the previous call for the same seq
// returned an empty page, its ETag is sent as If-None-Match and a 304 is an
// empty page again, sparing upstream the work while the consumer is at the
// head of the feed.
func (c *Client) Feed(ctx context.Context, seq int64) ([]freg.FeedItem, error) {
	if seq < 1 {
		return nil, fmt.Errorf("%w: seq must be ≥ 1", freg.ErrInvalid)
	}
	cl := call{method: http.MethodGet, route: "v1/hendelser/feed", path: []string{"hendelser", "feed"},
		query: url.Values{"seq": {strconv.FormatInt(seq, 10)}}, notFound: freg.ErrNotFound}
	c.feedMu.Lock()
	if c.feedETag != "" && c.feedSeq == seq {
		cl.header = http.Header{"If-None-Match": {c.feedETag}}
	}
	c.feedMu.Unlock()
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusNotModified {
		return []freg.FeedItem{}, nil
	}
	var items []freg.FeedItem
	if err := decode(cl, resp, &items); err != nil {
		return nil, err
	}
	if items == nil {
		items = []freg.FeedItem{}
	}
	c.feedMu.Lock()
	c.feedSeq, c.feedETag = 0, ""
	if etag := resp.header.Get("ETag"); etag != "" && len(items) == 0 {
		c.feedSeq, c.feedETag = seq, etag
	}
	c.feedMu.Unlock()
	return items, nil
}

// LastSequence implements freg.Client.
func (c *Client) LastSequence(ctx context.Context) (int64, error) {
	cl := call{method: http.MethodGet, route: "v1/hendelser/siste/sekvensnummer",
		path: []string{"hendelser", "siste", "sekvensnummer"}}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return 0, err
	}
	var seq int64
	if err := decode(cl, resp, &seq); err != nil {
		return 0, err
	}
	return seq, nil
}

// OrderExtract implements freg.Client.
func (c *Client) OrderExtract(ctx context.Context, req freg.ExtractRequest) (string, error) {
	cl := call{method: http.MethodPost, route: "v1/uttrekk/tilpasset", path: []string{"uttrekk", "tilpasset"}, body: req}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return "", err
	}
	var out struct {
		JobbID      string `json:"jobbId"`
		Feilmelding string `json:"feilmelding"`
	}
	if err := decode(cl, resp, &out); err != nil {
		return "", err
	}
	if out.JobbID == "" {
		return "", fmt.Errorf("%w: %s %s: no jobbId in answer", freg.ErrUpstream, cl.method, cl.route)
	}
	return out.JobbID, nil
}

// ExtractBatch implements freg.Client.
func (c *Client) ExtractBatch(ctx context.Context, jobID string, n int) (freg.ExtractBatch, error) {
	if n < 0 {
		return freg.ExtractBatch{}, fmt.Errorf("%w: batch number must be ≥ 0", freg.ErrInvalid)
	}
	cl := call{method: http.MethodGet, route: "v1/uttrekk/{jobbid}/batch/{batchnr}",
		path: []string{"uttrekk", jobID, "batch", strconv.Itoa(n)}, notFound: freg.ErrNotReady}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return freg.ExtractBatch{}, err
	}
	var b freg.ExtractBatch
	if err := decode(cl, resp, &b); err != nil {
		return freg.ExtractBatch{}, err
	}
	// FREG ends a job with {}: neither identifiers nor a feilmelding.
	b.Done = b.FoedselsEllerDNummer == nil && b.Dokumentidentifikator == nil && b.Feilmelding == ""
	return b, nil
}

// OrderCompleteExtract implements freg.Client.
func (c *Client) OrderCompleteExtract(ctx context.Context, upTo int64) (string, error) {
	if upTo < 0 {
		return "", fmt.Errorf("%w: feedsekvensnr must not be negative", freg.ErrInvalid)
	}
	cl := call{method: http.MethodGet, route: "v1/uttrekk/komplett", path: []string{"uttrekk", "komplett"}}
	if upTo > 0 {
		cl.query = url.Values{"feedsekvensnr": {strconv.FormatInt(upTo, 10)}}
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return "", err
	}
	var out struct {
		JobbID string `json:"jobbId"`
	}
	if err := decode(cl, resp, &out); err != nil {
		return "", err
	}
	if out.JobbID == "" {
		return "", fmt.Errorf("%w: %s %s: no jobbId in answer", freg.ErrUpstream, cl.method, cl.route)
	}
	return out.JobbID, nil
}

// ArchivedPerson implements freg.Client.
func (c *Client) ArchivedPerson(ctx context.Context, docID string, parts []string) (*freg.Person, error) {
	if docID == "" {
		return nil, fmt.Errorf("%w: empty dokumentidentifikator", freg.ErrInvalid)
	}
	return c.person(ctx, call{method: http.MethodGet, route: "v1/personer/arkiv/{dokumentidentifikator}",
		path: []string{"personer", "arkiv", docID}, query: partQuery(parts), notFound: freg.ErrNotFound})
}

// docIDs is the request body of the two archive bulk operations.
type docIDs struct {
	Dokumentidentifikator []string `json:"dokumentidentifikator"`
}

// ArchivedBulkLookup implements freg.Client.
func (c *Client) ArchivedBulkLookup(ctx context.Context, ids []string, parts []string) ([]freg.ArchivedResult, error) {
	if len(ids) == 0 || len(ids) > 1000 {
		return nil, fmt.Errorf("%w: bulkoppslag/arkiv takes 1 to 1000 dokumentidentifikator", freg.ErrInvalid)
	}
	cl := call{method: http.MethodPost, route: "v1/personer/bulkoppslag/arkiv",
		path: []string{"personer", "bulkoppslag", "arkiv"}, query: partQuery(parts), body: docIDs{ids}}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var out struct {
		Oppslag []freg.ArchivedResult `json:"oppslag"`
	}
	if err := decode(cl, resp, &out); err != nil {
		return nil, err
	}
	return out.Oppslag, nil
}

// Event implements freg.Client.
func (c *Client) Event(ctx context.Context, docID string) (*freg.EventDocument, error) {
	if docID == "" {
		return nil, fmt.Errorf("%w: empty hendelsesidentifikator", freg.ErrInvalid)
	}
	cl := call{method: http.MethodGet, route: "v1/hendelser/{hendelsesidentifikator}",
		path: []string{"hendelser", docID}, notFound: freg.ErrNotFound}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var d freg.EventDocument
	if err := decode(cl, resp, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Events implements freg.Client.
func (c *Client) Events(ctx context.Context, ids []string) ([]freg.EventDocument, error) {
	if len(ids) == 0 || len(ids) > 1000 {
		return nil, fmt.Errorf("%w: hendelser/bulkoppslag takes 1 to 1000 dokumentidentifikator", freg.ErrInvalid)
	}
	cl := call{method: http.MethodPost, route: "v1/hendelser/bulkoppslag", path: []string{"hendelser", "bulkoppslag"}, body: docIDs{ids}}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var out struct {
		Hendelser []freg.EventDocument `json:"hendelser"`
	}
	if err := decode(cl, resp, &out); err != nil {
		return nil, err
	}
	return out.Hendelser, nil
}
