// Package metrics keeps counters and histograms and writes them in the
// Prometheus text exposition format (version 0.0.4). It is deliberately
// small: labelled counters and histograms are all the gateway needs, and the
// module takes no new dependency for them.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds metric families in registration order.
type Registry struct {
	mu       sync.Mutex
	families []family
}

type family interface {
	write(w *bufio.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(f family) {
	r.mu.Lock()
	r.families = append(r.families, f)
	r.mu.Unlock()
}

// WriteTo writes every family in the text format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := slices.Clone(r.families)
	r.mu.Unlock()
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	for _, f := range fams {
		f.write(bw)
	}
	err := bw.Flush()
	return cw.n, err
}

// Handler serves the registry.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = r.WriteTo(w)
	})
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// vec maps label values to series. Reads take the read lock only, so the
// hot path of a known series is a map lookup plus atomics.
type vec[S any] struct {
	name, help string
	labels     []string
	mu         sync.RWMutex
	series     map[string]*S
	keys       []string // insertion order, for stable output
	values     map[string][]string
	newSeries  func() *S
}

func (v *vec[S]) get(values []string) *S {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", v.name, len(v.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	v.mu.RLock()
	s := v.series[key]
	v.mu.RUnlock()
	if s != nil {
		return s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if s = v.series[key]; s == nil {
		s = v.newSeries()
		v.series[key] = s
		v.keys = append(v.keys, key)
		v.values[key] = slices.Clone(values)
	}
	return s
}

func (v *vec[S]) snapshot() ([]string, map[string]*S, map[string][]string) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	keys := slices.Clone(v.keys)
	slices.Sort(keys)
	series := make(map[string]*S, len(keys))
	for _, k := range keys {
		series[k] = v.series[k]
	}
	return keys, series, v.values
}

func newVec[S any](name, help string, labels []string, mk func() *S) vec[S] {
	return vec[S]{name: name, help: help, labels: labels, series: map[string]*S{}, values: map[string][]string{}, newSeries: mk}
}

// CounterVec is a counter family.
type CounterVec struct{ v vec[atomic.Uint64] }

// Counter registers a counter family with the given label names.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{v: newVec(name, help, labels, func() *atomic.Uint64 { return new(atomic.Uint64) })}
	r.add(c)
	return c
}

// Inc adds one to the series with these label values.
func (c *CounterVec) Inc(values ...string) { c.v.get(values).Add(1) }

// Add adds n to the series with these label values.
func (c *CounterVec) Add(n uint64, values ...string) { c.v.get(values).Add(n) }

// Value returns the current count of a series (for tests).
func (c *CounterVec) Value(values ...string) uint64 { return c.v.get(values).Load() }

func (c *CounterVec) write(w *bufio.Writer) {
	header(w, c.v.name, c.v.help, "counter")
	keys, series, values := c.v.snapshot()
	for _, k := range keys {
		sample(w, c.v.name, c.v.labels, values[k], "", "", strconv.FormatUint(series[k].Load(), 10))
	}
}

// HistogramVec is a histogram family with fixed upper bounds.
type HistogramVec struct {
	v       vec[histogram]
	buckets []float64
}

type histogram struct {
	counts []atomic.Uint64 // per bucket, not cumulative; last is +Inf
	sum    atomic.Uint64   // float64 bits
	count  atomic.Uint64
}

// Histogram registers a histogram family; buckets are upper bounds in
// increasing order (+Inf is implicit).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	b := slices.Clone(buckets)
	h := &HistogramVec{buckets: b}
	h.v = newVec(name, help, labels, func() *histogram { return &histogram{counts: make([]atomic.Uint64, len(b)+1)} })
	r.add(h)
	return h
}

// Observe records x in the series with these label values.
func (h *HistogramVec) Observe(x float64, values ...string) {
	s := h.v.get(values)
	i, _ := slices.BinarySearch(h.buckets, x) // first bound ≥ x
	s.counts[i].Add(1)
	s.count.Add(1)
	for {
		old := s.sum.Load()
		if s.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+x)) {
			break
		}
	}
}

// Count returns the number of observations of a series (for tests).
func (h *HistogramVec) Count(values ...string) uint64 { return h.v.get(values).count.Load() }

func (h *HistogramVec) write(w *bufio.Writer) {
	header(w, h.v.name, h.v.help, "histogram")
	keys, series, values := h.v.snapshot()
	for _, k := range keys {
		s := series[k]
		var cum uint64
		for i, ub := range h.buckets {
			cum += s.counts[i].Load()
			sample(w, h.v.name+"_bucket", h.v.labels, values[k], "le", formatFloat(ub), strconv.FormatUint(cum, 10))
		}
		cum += s.counts[len(h.buckets)].Load()
		sample(w, h.v.name+"_bucket", h.v.labels, values[k], "le", "+Inf", strconv.FormatUint(cum, 10))
		sample(w, h.v.name+"_sum", h.v.labels, values[k], "", "", formatFloat(math.Float64frombits(s.sum.Load())))
		sample(w, h.v.name+"_count", h.v.labels, values[k], "", "", strconv.FormatUint(s.count.Load(), 10))
	}
}

func header(w *bufio.Writer, name, help, typ string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

func sample(w *bufio.Writer, name string, labels, values []string, extraName, extraValue, v string) {
	w.WriteString(name)
	if len(labels) > 0 || extraName != "" {
		w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(l)
			w.WriteString(`="`)
			w.WriteString(escapeLabel(values[i]))
			w.WriteByte('"')
		}
		if extraName != "" {
			if len(labels) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(extraName)
			w.WriteString(`="`)
			w.WriteString(extraValue)
			w.WriteByte('"')
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(v)
	w.WriteByte('\n')
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
