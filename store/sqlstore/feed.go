package sqlstore

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"folkevakt/store"
)

// The change feed across instances (PostgreSQL). Every write transaction
// that records changes sends NOTIFY folkevakt_changes before it commits, so
// the notification exists exactly when the change does. Follow keeps one
// connection LISTENing; on a notification, after every (re)connect and
// every ResyncInterval it reads the change log from the last Seq delivered
// and hands every change it has not delivered yet to the OnChange hooks, in
// Seq order. The log is complete and Seq order is commit order (see
// lockChanges), so reading it from the last delivered Seq is a full resync:
// nothing missed while disconnected is lost.
//
// Local writes deliver their own changes at once, as before; while
// following, a local write whose first Seq does not follow the last
// delivered one first delivers the changes in between from the log, so
// hooks always see one gap-free sequence.

// ResyncInterval is how often Follow reads the change log even without a
// notification: a safety net for a notification lost between servers.
const ResyncInterval = 10 * time.Second

// feedState is guarded by the writer mutex (wmu) except for the counters.
type feedState struct {
	following bool
	delivered int64 // last Seq handed to the hooks

	connected     atomic.Bool
	resyncs       atomic.Int64
	notifications atomic.Int64
	lagMicros     atomic.Int64 // commit-to-delivery delay of the last remote change
}

// FeedStats describe the listener, for metrics.
type FeedStats struct {
	Following     bool          // Follow runs (PostgreSQL)
	Connected     bool          // its LISTEN connection is up
	Resyncs       int64         // reads of the change log after a (re)connect or on the timer
	Notifications int64         // notifications received
	Lag           time.Duration // commit to delivery of the last change from elsewhere
}

// FeedStats reports the listener's state.
func (s *Store) FeedStats() FeedStats {
	s.wmu.Lock()
	following := s.feed.following
	s.wmu.Unlock()
	return FeedStats{Following: following, Connected: s.feed.connected.Load(), Resyncs: s.feed.resyncs.Load(),
		Notifications: s.feed.notifications.Load(), Lag: time.Duration(s.feed.lagMicros.Load()) * time.Microsecond}
}

// Follow delivers changes made by other instances and by the CLI to the
// OnChange hooks until ctx ends (PostgreSQL; on SQLite it returns at once:
// one process writes, and the policy engine polls for the CLI's changes).
// Changes committed before Follow starts are not delivered: start it
// before loading state from the store.
func (s *Store) Follow(ctx context.Context) error {
	if !s.Postgres() {
		return nil
	}
	var last int64
	if err := s.r.GetContext(ctx, &last, "SELECT COALESCE(MAX(seq), 0) FROM changes"); err != nil {
		return s.fail("follow changes", err)
	}
	s.wmu.Lock()
	s.feed.following, s.feed.delivered = true, last
	s.wmu.Unlock()
	go s.listen(ctx)
	return nil
}

// listen keeps a LISTEN connection, reconnecting with backoff.
func (s *Store) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		s.feed.connected.Store(false)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("change feed: listener disconnected; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
		if err == nil {
			backoff = 100 * time.Millisecond
		}
	}
}

// listenOnce connects, LISTENs, resyncs, then waits for notifications; it
// returns when the connection fails.
func (s *Store) listenOnce(ctx context.Context) error {
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(connectCtx, s.url)
	cancel()
	if err != nil {
		return oneLine{err}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return oneLine{err}
	}
	s.feed.connected.Store(true)
	// Whatever happened while disconnected is in the log.
	if err := s.resync(ctx); err != nil {
		return err
	}
	for {
		waitCtx, cancel := context.WithTimeout(ctx, ResyncInterval)
		_, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			s.feed.notifications.Add(1)
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			// The safety resync: nothing arrived for a while. The
			// connection is still checked by the next wait.
		default:
			return oneLine{err}
		}
		if err := s.resync(ctx); err != nil {
			return err
		}
	}
}

// resync delivers every change after the last delivered one.
func (s *Store) resync(ctx context.Context) error {
	s.feed.resyncs.Add(1)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.catchUpLocked(ctx, 0)
}

// catchUpLocked delivers the logged changes after the last delivered Seq
// and (if before > 0) before Seq before. wmu is held.
func (s *Store) catchUpLocked(ctx context.Context, before int64) error {
	for {
		changes, err := s.ChangesSince(ctx, s.feed.delivered, 1000)
		if err != nil {
			return err
		}
		n := len(changes)
		for i, c := range changes {
			if before > 0 && c.Seq >= before {
				n = i
				break
			}
		}
		if n > 0 {
			s.deliverLocked(changes[:n])
			s.feed.lagMicros.Store(max(0, s.now().Sub(changes[n-1].Time).Microseconds()))
		}
		if n < 1000 {
			return nil
		}
	}
}

// deliverLocal hands a committed write's own changes to the hooks. While
// following, changes of other writers that precede them are delivered
// first; if they cannot be read now, the write's changes wait for the
// listener's next resync, which delivers everything in order.
func (s *Store) deliverLocal(ctx context.Context, changes []store.Change) {
	if len(changes) == 0 {
		return
	}
	if s.feed.following && changes[0].Seq != s.feed.delivered+1 {
		if err := s.catchUpLocked(context.WithoutCancel(ctx), changes[0].Seq); err != nil {
			s.log.Warn("change feed: cannot read earlier changes; delivering on the next resync", "err", err)
			return
		}
	}
	s.deliverLocked(changes)
}

// deliverLocked calls the hooks for changes, in order; wmu is held.
func (s *Store) deliverLocked(changes []store.Change) {
	s.hmu.Lock()
	hooks := s.hooks
	s.hmu.Unlock()
	for _, c := range changes {
		if c.Seq <= s.feed.delivered && s.feed.following {
			continue
		}
		for _, h := range hooks {
			h(c)
		}
		s.feed.delivered = max(s.feed.delivered, c.Seq)
	}
}
