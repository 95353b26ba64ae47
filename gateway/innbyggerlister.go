package gateway

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/gateway/lists"
	"folkevakt/store"
)

// ListsOptions configure citizen lists (innbyggerlister) and the oppvekst
// dataset.
type ListsOptions struct {
	DataDir   string
	Workers   int
	Retention time.Duration
}

// EnableLists serves citizen lists and oppvekst through the gateway's own
// authentication, policy check, reduction and audit writer, and starts the
// list workers (resuming orders a previous process left unfinished). Call it
// before serving; Close stops the workers.
func (s *Server) EnableLists(ctx context.Context, o ListsOptions) error {
	svc, err := lists.New(lists.Options{
		Store:     s.store,
		Upstream:  s.upstream,
		Access:    s.access,
		DataDir:   o.DataDir,
		Logger:    s.log,
		Workers:   o.Workers,
		Retention: o.Retention,
		Now:       s.now,
	})
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	if err := s.m.reg.Register(svc); err != nil {
		svc.Close()
		return err
	}
	s.lists = svc
	h := &lists.Handlers{Service: svc, Authorize: s.authorizeList, WriteError: s.writeListError, Logger: s.log}
	h.Register(s.Engine)
	return nil
}

// authorizeList authenticates the caller in the path's role and, for a
// purpose, has the access service check it. A refusal is answered and
// audited here like any gateway request.
func (s *Server) authorizeList(c *gin.Context, purpose string) (lists.Caller, bool) {
	x := s.newExchange(c, purpose)
	if purpose == "" {
		x.purpose = store.PurposeSearch // oppvekst reads as a search
	}
	if err := x.identify(); err != nil {
		x.finish(nil, err)
		return lists.Caller{}, false
	}
	if purpose != "" {
		if err := s.access.Check(x.ctx, x.caller, purpose); err != nil {
			x.audited = true
			x.finish(nil, err)
			return lists.Caller{}, false
		}
	}
	return x.caller, true
}

// writeListError answers in the Fiks error body.
func (s *Server) writeListError(c *gin.Context, e *access.Error) {
	writeFiks(c, e, c.Request.URL.Path, s.now())
}
