// Package audit writes the gateway's audit records with group commit: every
// request waits until its record is durable, but records of concurrent
// requests share one store transaction (one fsync), so that auditing does not
// cap throughput.
//
// There is no writer goroutine. The first caller to find no transaction
// running leads: it commits everything queued, on its own goroutine, until
// its own record is stored, then hands the lead to the first caller still
// waiting. Callers that arrive meanwhile queue up and form the next batch.
// Compared with a dedicated writer goroutine this spares two goroutine
// hand-offs (and often an OS-thread wake-up) per batch; the load test
// measured the hand-offs alone at about a tenth of the gateway's throughput
// (docs/performance.md).
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"folkevakt/store"
)

// Appender is the part of store.Store the writer needs.
type Appender interface {
	AppendAudit(ctx context.Context, recs []store.AuditRecord) ([]store.AuditRecord, error)
}

// Options configure a Writer.
type Options struct {
	// MaxBatch bounds the records in one transaction (default 512).
	MaxBatch int
	// Timeout bounds one transaction (default 10 s), and with it how long
	// any Write waits.
	Timeout time.Duration
	Logger  *slog.Logger
	// OnBatch is called after every transaction with its size, duration and
	// outcome (for metrics).
	OnBatch func(size int, d time.Duration, err error)
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("audit: writer closed")

// Writer gathers records from concurrent callers into batches.
type Writer struct {
	st   Appender
	opts Options

	mu      sync.Mutex
	queue   []*pending // handed over, not yet in a transaction
	leading bool       // a caller is committing batches
	closed  bool
	idle    *sync.Cond // signalled when leading becomes false
}

type pending struct {
	rec store.AuditRecord
	res result
	// lead is set, under mu and before done is closed, when the caller is
	// to take over committing instead of collecting a result.
	lead bool
	done chan struct{}
}

type result struct {
	rec store.AuditRecord
	err error
}

// New returns a writer; Close stops it.
func New(st Appender, o Options) *Writer {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Writer{st: st, opts: o}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// Write stores rec durably and returns it with Seq and Hash set. It returns
// only after the transaction holding rec has committed or failed. ctx is
// checked before rec is handed over, not during the wait: a record handed
// over is stored, and its caller may have to commit other callers' records,
// so it cannot walk away. Options.Timeout bounds every transaction.
func (w *Writer) Write(ctx context.Context, rec store.AuditRecord) (store.AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return store.AuditRecord{}, err
	}
	p := &pending{rec: rec, done: make(chan struct{})}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return store.AuditRecord{}, ErrClosed
	}
	w.queue = append(w.queue, p)
	if w.leading {
		w.mu.Unlock()
		<-p.done
		if !p.lead {
			return p.res.rec, p.res.err
		}
		w.mu.Lock()
	}
	w.leading = true
	w.lead(p)
	return p.res.rec, p.res.err
}

// lead commits queued batches until self's record is done. It is entered
// with w.mu held and returns with it released. Afterwards the lead passes
// to the first caller still queued, who is waiting anyway; if none is
// queued, the writer goes idle.
func (w *Writer) lead(self *pending) {
	for {
		n := min(len(w.queue), w.opts.MaxBatch)
		batch := slices.Clone(w.queue[:n])
		rest := copy(w.queue, w.queue[n:])
		clear(w.queue[rest:])
		w.queue = w.queue[:rest]
		w.mu.Unlock()

		selfDone := w.commit(batch, self)

		w.mu.Lock()
		switch {
		case len(w.queue) == 0:
			w.leading = false
			w.idle.Broadcast()
			w.mu.Unlock()
			return
		case selfDone:
			next := w.queue[0]
			next.lead = true
			w.mu.Unlock()
			close(next.done)
			return
		}
	}
}

// Close stops accepting records and waits until every record already handed
// over is stored.
func (w *Writer) Close() {
	w.mu.Lock()
	w.closed = true
	for w.leading {
		w.idle.Wait()
	}
	w.mu.Unlock()
}

// commit writes a batch and wakes its callers, except self (the leader),
// whose result is only filled in; it reports whether self was in the batch.
// If the batch fails, each record is retried alone so that one bad record
// (an organisation deleted meanwhile) fails only its own request.
func (w *Writer) commit(batch []*pending, self *pending) (selfDone bool) {
	recs := make([]store.AuditRecord, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	stored, err := w.append(recs)
	if err != nil && len(batch) > 1 {
		for _, p := range batch {
			if w.commit([]*pending{p}, self) {
				selfDone = true
			}
		}
		return selfDone
	}
	if err != nil {
		w.opts.Logger.Error("audit write failed", "err", err)
	}
	for i, p := range batch {
		if err != nil {
			p.res = result{err: err}
		} else {
			p.res = result{rec: stored[i]}
		}
		if p == self {
			selfDone = true
		} else {
			close(p.done)
		}
	}
	return selfDone
}

// append runs one transaction. A panic in the store becomes an error: the
// leader is some request's goroutine, and a lead lost to a panic would
// leave every later caller waiting.
func (w *Writer) append(recs []store.AuditRecord) (stored []store.AuditRecord, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.Timeout)
	defer cancel()
	start := time.Now()
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("audit: store panicked: %v", r)
			}
		}()
		stored, err = w.st.AppendAudit(ctx, recs)
	}()
	if w.opts.OnBatch != nil {
		w.opts.OnBatch(len(recs), time.Since(start), err)
	}
	return stored, err
}
