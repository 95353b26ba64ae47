// Package lists implements citizen lists (innbyggerlister) and the oppvekst
// dataset. The gateway authenticates and authorises the caller and mounts
// the handlers (Handlers.Register); this package validates orders, runs them
// in a bounded worker pool against freg.Client, writes xlsx/CSV files into
// the data directory and answers oppvekst requests. Every decision, every
// person read and every audit record goes through the access service
// (access.Service): this package holds no rule of its own.
package lists

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// Caller is the authenticated caller in its role, as the transport
// resolved it.
type Caller = access.Caller

// Audit actions written by this package.
const (
	ActionListOrder    = "list-order"
	ActionListPersons  = "list-persons"
	ActionListDone     = "list-done"
	ActionListDownload = "list-download"
	ActionOppvekst     = "oppvekst"
)

// Options are the Service's dependencies and settings.
type Options struct {
	Store store.Store
	// Upstream orders the uttrekk behind a list and reads its batches of
	// identity numbers; every person is read through Access.
	Upstream freg.Client
	Access   *access.Service
	// DataDir holds the files, under DataDir/lists/<orgID>/.
	DataDir string
	Logger  *slog.Logger
	// Workers is the number of orders run at once (default 2); QueueSize the
	// number waiting (default 100) beyond which ordering answers ErrBusy.
	Workers   int
	QueueSize int
	// Retention is how long a finished file is kept (default 7 days).
	Retention time.Duration
	// ProgressInterval is how often a running order's progress is stored
	// (default 2 s).
	ProgressInterval time.Duration
	// PollMin/PollMax bound the backoff while an uttrekk batch is not ready
	// (default 100 ms / 5 s).
	PollMin, PollMax time.Duration
	// SheetRows is rows per xlsx sheet, header included (default
	// MaxSheetRows); tests lower it to see the sheet switch.
	SheetRows int
	Now       func() time.Time
}

// Errors besides *access.Error. Handlers map them to statuses.
var (
	ErrNotFound = errors.New("no such order")               // 404
	ErrConflict = errors.New("order is not in that state")  // 409
	ErrBusy     = errors.New("too many orders are waiting") // 503
)

// Service runs citizen lists and answers oppvekst requests.
type Service struct {
	o   Options
	log *slog.Logger

	queue   chan orderRef
	mu      sync.Mutex
	running map[string]context.CancelFunc // by order id
	stats   jobStats
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

type orderRef struct{ orgID, id string }

// New checks o and returns a Service; Start launches its workers.
func New(o Options) (*Service, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("lists: Store is required")
	case o.Upstream == nil:
		return nil, errors.New("lists: Upstream is required")
	case o.Access == nil:
		return nil, errors.New("lists: Access is required")
	case o.DataDir == "":
		return nil, errors.New("lists: DataDir is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 100
	}
	if o.Retention <= 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 2 * time.Second
	}
	if o.PollMin <= 0 {
		o.PollMin = 100 * time.Millisecond
	}
	if o.PollMax < o.PollMin {
		o.PollMax = max(5*time.Second, o.PollMin)
	}
	if o.SheetRows <= 1 || o.SheetRows > MaxSheetRows {
		o.SheetRows = MaxSheetRows
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{o: o, log: o.Logger, queue: make(chan orderRef, o.QueueSize), running: map[string]context.CancelFunc{}}, nil
}

// Start recovers orders interrupted by a restart (they run again from
// scratch; their partial files are removed), deletes expired files, and
// launches the workers and the hourly retention sweep. Close stops them.
func (s *Service) Start(ctx context.Context) error {
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	if err := s.recover(ctx); err != nil {
		return err
	}
	if err := s.SweepExpired(ctx); err != nil {
		return err
	}
	for range s.o.Workers {
		s.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ref := <-s.queue:
					s.runOrder(ctx, ref)
				}
			}
		})
	}
	s.wg.Go(func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.SweepExpired(ctx); err != nil {
					s.log.Error("list retention sweep failed", "err", err)
				}
			}
		}
	})
	return nil
}

// Close stops the workers; running orders end as failed ("interrupted")
// and are run again at the next Start.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
	}
	s.wg.Wait()
}

// recover requeues the queued and running orders left by a previous process.
func (s *Service) recover(ctx context.Context) error {
	orders, err := s.o.Store.UnfinishedListOrders(ctx)
	if err != nil {
		return fmt.Errorf("lists: unfinished orders: %w", err)
	}
	for _, o := range orders {
		_ = os.Remove(s.tempPath(o))
		_, err := s.o.Store.Tenant(o.OrgID).UpdateListOrder(ctx, o.ID, func(o store.ListOrder) (store.ListOrder, error) {
			if o.Status != store.OrderQueued && o.Status != store.OrderRunning {
				return o, ErrConflict
			}
			o.Status, o.Done, o.Total, o.Rows, o.Error = store.OrderQueued, 0, 0, 0, ""
			return o, nil
		})
		if err != nil {
			continue // finished concurrently
		}
		select {
		case s.queue <- orderRef{o.OrgID, o.ID}:
			s.log.Info("list order resumed after restart", "order_id", o.ID, "org_id", o.OrgID)
		default:
			s.fail(ctx, o, "interrupted by a restart and the queue is full; copy the order to run it again")
		}
	}
	return nil
}

// SweepExpired deletes the files of orders past their retention and marks
// them expired.
func (s *Service) SweepExpired(ctx context.Context) error {
	orders, err := s.o.Store.ExpiredListOrders(ctx, s.o.Now())
	if err != nil {
		return fmt.Errorf("lists: expired orders: %w", err)
	}
	for _, o := range orders {
		if o.File != "" {
			if err := os.Remove(filepath.Join(s.o.DataDir, o.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Error("list file removal failed", "order_id", o.ID, "err", err)
				continue
			}
		}
		_, err := s.o.Store.Tenant(o.OrgID).UpdateListOrder(ctx, o.ID, func(o store.ListOrder) (store.ListOrder, error) {
			o.Status, o.File = store.OrderExpired, ""
			return o, nil
		})
		if err != nil {
			return fmt.Errorf("lists: expire order: %w", err)
		}
	}
	return nil
}

// OrderRequest is the body of POST …/innbyggerlister: criteria and elements,
// or a template (mal) with its parameters (elements then default to the
// template's).
type OrderRequest struct {
	Criteria   json.RawMessage `json:"criteria,omitempty"`
	Elements   []string        `json:"elements,omitempty"`
	Format     string          `json:"format"`
	Mal        string          `json:"mal,omitempty"`
	Parametere json.RawMessage `json:"parametere,omitempty"`
}

// Order validates a request body and queues the order. All validation
// happens before anything is stored or fetched; a refusal is audited.
func (s *Service) Order(ctx context.Context, c Caller, body []byte) (store.ListOrder, error) {
	crit, elements, format, err := parseOrder(body)
	if err != nil {
		c.Action = ActionListOrder
		return store.ListOrder{}, s.o.Access.Refuse(ctx, c, store.PurposeCitizenLists, nil, err)
	}
	return s.order(ctx, c, crit, elements, format)
}

// parseOrder reads an order body: criteria and elements, or a template and
// its parameters.
func parseOrder(body []byte) (crit access.Criteria, elements []string, format string, err error) {
	var req OrderRequest
	if err := decodeStrict(body, &req, "body"); err != nil {
		return crit, nil, "", err
	}
	elements = req.Elements
	switch {
	case req.Mal != "" && len(req.Criteria) > 0:
		return crit, nil, "", invalid("criteria", "give either mal or criteria, not both")
	case req.Mal != "":
		var defaults []string
		if crit, defaults, err = expandTemplate(req.Mal, req.Parametere); err != nil {
			return crit, nil, "", err
		}
		if len(elements) == 0 {
			elements = defaults
		}
	case len(req.Parametere) > 0:
		return crit, nil, "", invalid("parametere", "only with mal")
	case len(req.Criteria) > 0:
		if err := decodeStrict(req.Criteria, &crit, "criteria"); err != nil {
			return crit, nil, "", err
		}
	}
	return crit, elements, req.Format, nil
}

func (s *Service) order(ctx context.Context, c Caller, crit access.Criteria, elements []string, format string) (store.ListOrder, error) {
	c.Action = ActionListOrder
	asGiven, err := json.Marshal(crit)
	if err != nil {
		return store.ListOrder{}, err
	}
	if !validFormat(format) {
		return store.ListOrder{}, s.o.Access.Refuse(ctx, c, store.PurposeCitizenLists, nil, invalid("format", "must be xlsx, csv (separated by ;) or csv-comma"))
	}
	if elements, err = listElements(elements); err != nil {
		return store.ListOrder{}, s.o.Access.Refuse(ctx, c, store.PurposeCitizenLists, nil, err)
	}
	if len(s.queue) == cap(s.queue) {
		return store.ListOrder{}, ErrBusy
	}
	if err := s.o.Access.OrderList(ctx, c, &crit, elements, 202); err != nil {
		return store.ListOrder{}, err
	}
	o, err := s.o.Store.Tenant(c.OrgID).CreateListOrder(ctx, store.ListOrder{
		RoleID: c.Role.ID, SubjectKind: c.SubjectKind, SubjectID: c.SubjectID,
		Criteria: asGiven, Elements: elements, Format: format, Status: store.OrderQueued,
	})
	if err != nil {
		return store.ListOrder{}, fmt.Errorf("lists: create order: %w", err)
	}
	select {
	case s.queue <- orderRef{c.OrgID, o.ID}:
	default:
		s.fail(ctx, o, "the queue was full; copy the order to run it again")
		return store.ListOrder{}, ErrBusy
	}
	return o, nil
}

// listElements checks that the ordered elements exist and can be columns of
// a list, adds the identity numbers and returns them in column order.
// Whether the role may read them is the access service's decision.
func listElements(elements []string) ([]string, error) {
	set := map[string]bool{access.IDElement: true}
	for _, e := range elements {
		if _, ok := freg.LookupElement(e); !ok || e == freg.ElementHistorikk {
			return nil, invalid(e, "unknown element")
		}
		if elementColumns[e] == nil {
			return nil, invalid(e, "element is not available in citizen lists")
		}
		set[e] = true
	}
	var out []string
	for _, e := range columnOrder {
		if set[e] {
			out = append(out, e)
		}
	}
	return out, nil
}

// Get returns an order of the caller's organisation made through the
// caller's role.
func (s *Service) Get(ctx context.Context, c Caller, id string) (store.ListOrder, error) {
	o, err := s.o.Store.Tenant(c.OrgID).GetListOrder(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.RoleID != c.Role.ID) {
		return store.ListOrder{}, ErrNotFound
	}
	return o, err
}

// List returns the orders made through the caller's role.
func (s *Service) List(ctx context.Context, c Caller) ([]store.ListOrder, error) {
	all, err := s.o.Store.Tenant(c.OrgID).ListListOrders(ctx, store.ListOrderQuery{})
	if err != nil {
		return nil, err
	}
	out := []store.ListOrder{}
	for _, o := range all {
		if o.RoleID == c.Role.ID {
			out = append(out, o)
		}
	}
	return out, nil
}

// Cancel stops a queued or running order; its partial file is removed.
func (s *Service) Cancel(ctx context.Context, c Caller, id string) (store.ListOrder, error) {
	if _, err := s.Get(ctx, c, id); err != nil {
		return store.ListOrder{}, err
	}
	o, err := s.o.Store.Tenant(c.OrgID).UpdateListOrder(ctx, id, func(o store.ListOrder) (store.ListOrder, error) {
		if o.Status != store.OrderQueued && o.Status != store.OrderRunning {
			return o, ErrConflict
		}
		now := s.o.Now()
		o.Status, o.FinishedAt, o.Error = store.OrderCancelled, &now, "cancelled by the caller"
		return o, nil
	})
	if err != nil {
		return store.ListOrder{}, err
	}
	s.mu.Lock()
	if cancel := s.running[id]; cancel != nil {
		cancel()
	}
	s.mu.Unlock()
	return o, nil
}

// Copy orders again what an earlier order asked for, validated against the
// role as it is now, with defaults (referansedato) taken afresh.
func (s *Service) Copy(ctx context.Context, c Caller, id string) (store.ListOrder, error) {
	old, err := s.Get(ctx, c, id)
	if err != nil {
		return store.ListOrder{}, err
	}
	var crit access.Criteria
	if err := decodeStrict(old.Criteria, &crit, "criteria"); err != nil {
		return store.ListOrder{}, fmt.Errorf("lists: stored criteria: %w", err)
	}
	return s.order(ctx, c, crit, old.Elements, old.Format)
}

// Open returns a finished order's file for download and audits the download.
// The caller closes the file.
func (s *Service) Open(ctx context.Context, c Caller, id string) (*os.File, store.ListOrder, error) {
	o, err := s.Get(ctx, c, id)
	if err != nil {
		return nil, o, err
	}
	if o.Status != store.OrderDone || o.File == "" {
		return nil, o, ErrConflict
	}
	f, err := os.Open(filepath.Join(s.o.DataDir, o.File))
	if err != nil {
		return nil, o, fmt.Errorf("lists: open file: %w", err)
	}
	c.Action = ActionListDownload
	if err := s.o.Access.Note(ctx, c, store.PurposeCitizenLists, o.Elements, fmt.Sprintf("order %s, %d rows", o.ID, o.Rows)); err != nil {
		f.Close()
		return nil, o, fmt.Errorf("lists: audit: %w", err)
	}
	return f, o, nil
}

// fileName is the final file of an order, relative to DataDir.
func fileName(o store.ListOrder) string {
	return filepath.Join("lists", o.OrgID, o.ID+"."+extension(o.Format))
}

func (s *Service) tempPath(o store.ListOrder) string {
	return filepath.Join(s.o.DataDir, "lists", o.OrgID, "."+o.ID+"."+extension(o.Format)+".tmp")
}

// fail marks an order failed with msg unless it already ended.
func (s *Service) fail(ctx context.Context, o store.ListOrder, msg string) {
	_, err := s.o.Store.Tenant(o.OrgID).UpdateListOrder(context.WithoutCancel(ctx), o.ID, func(o store.ListOrder) (store.ListOrder, error) {
		if o.Status != store.OrderQueued && o.Status != store.OrderRunning {
			return o, ErrConflict
		}
		now := s.o.Now()
		o.Status, o.Error, o.FinishedAt = store.OrderFailed, msg, &now
		return o, nil
	})
	if err != nil && !errors.Is(err, ErrConflict) {
		s.log.Error("list order status update failed", "order_id", o.ID, "err", err)
	}
}
