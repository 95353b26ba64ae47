// Package audit writes the gateway's audit records with group commit: every
// request waits until its record is durable, but records of concurrent
// requests share one store transaction (one fsync), so that auditing does not
// cap throughput.
package audit

import (
	"context"
	"errors"
	"log/slog"
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
	// Timeout bounds one transaction (default 10 s).
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
	in   chan *pending
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

type pending struct {
	rec store.AuditRecord
	out chan result
}

type result struct {
	rec store.AuditRecord
	err error
}

// New starts a writer; Close stops it.
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
	w := &Writer{st: st, opts: o, in: make(chan *pending, o.MaxBatch), quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Write stores rec durably and returns it with Seq and Hash set. It returns
// only after the transaction holding rec has committed or failed. Cancelling
// ctx stops the wait, not the write: a record handed over is still stored.
func (w *Writer) Write(ctx context.Context, rec store.AuditRecord) (store.AuditRecord, error) {
	p := &pending{rec: rec, out: make(chan result, 1)}
	select {
	case <-w.quit:
		return store.AuditRecord{}, ErrClosed
	default:
	}
	select {
	case w.in <- p:
	case <-w.quit:
		return store.AuditRecord{}, ErrClosed
	case <-ctx.Done():
		return store.AuditRecord{}, ctx.Err()
	}
	select {
	case r := <-p.out:
		return r.rec, r.err
	case <-w.done:
		// The loop may have finished just before taking p: not written.
		select {
		case r := <-p.out:
			return r.rec, r.err
		default:
			return store.AuditRecord{}, ErrClosed
		}
	case <-ctx.Done():
		return store.AuditRecord{}, ctx.Err()
	}
}

// Close stops accepting records, writes those already handed over and waits
// for the last transaction.
func (w *Writer) Close() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]*pending, 0, w.opts.MaxBatch)
	for {
		select {
		case p := <-w.in:
			batch = append(batch[:0], p)
		case <-w.quit:
			// Drain what callers already handed over; they are waiting.
			for {
				select {
				case p := <-w.in:
					w.commit([]*pending{p})
				default:
					return
				}
			}
		}
		// Take whatever else is queued: the records that arrived while the
		// previous transaction was committing form the next batch.
	gather:
		for len(batch) < w.opts.MaxBatch {
			select {
			case p := <-w.in:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// commit writes a batch; if the batch fails, each record is retried alone so
// that one bad record (an organisation deleted meanwhile) fails only its own
// request.
func (w *Writer) commit(batch []*pending) {
	recs := make([]store.AuditRecord, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	stored, err := w.append(recs)
	if err == nil {
		for i, p := range batch {
			p.out <- result{rec: stored[i]}
		}
		return
	}
	if len(batch) == 1 {
		w.opts.Logger.Error("audit write failed", "err", err)
		batch[0].out <- result{err: err}
		return
	}
	for _, p := range batch {
		w.commit([]*pending{p})
	}
}

func (w *Writer) append(recs []store.AuditRecord) ([]store.AuditRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.Timeout)
	defer cancel()
	start := time.Now()
	stored, err := w.st.AppendAudit(ctx, recs)
	if w.opts.OnBatch != nil {
		w.opts.OnBatch(len(recs), time.Since(start), err)
	}
	return stored, err
}
