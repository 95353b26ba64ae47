package gateway

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/lists"
	"folkevakt/gateway/reduce"
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
		Reduce:    reduceForList,
		Audit:     s.writeAudit,
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

// reduceForList applies the role's rules to one row of a list: its elements
// (current values only) and its graded-address rule.
func reduceForList(p *freg.Person, role store.Role, area store.ServiceArea, showGraded bool) *freg.Person {
	sel := freg.Selection{}
	for _, el := range role.Elements {
		if el != freg.ElementHistorikk {
			sel.Elements = append(sel.Elements, el)
		}
	}
	slices.Sort(sel.Elements)
	out, _ := reduce.Person(p, rulesFor(role, area, sel, showGraded))
	return out
}

// writeAudit is the lists' path into the group-commit audit writer.
func (s *Server) writeAudit(ctx context.Context, rec store.AuditRecord) error {
	_, err := s.audit.Write(context.WithoutCancel(ctx), rec)
	return err
}

// authorizeList authenticates the caller and checks that it holds the
// path's role for purpose (oppvekst passes ""; it needs the role's search
// purpose). A refusal is answered and audited here like any gateway
// request; on success the list handler writes the request's audit record.
func (s *Server) authorizeList(c *gin.Context, purpose string) (lists.Caller, bool) {
	if purpose == "" {
		purpose = store.PurposeSearch
	}
	x := s.newExchange(c, purpose)
	if err := x.identify(); err != nil {
		x.finish(nil, err)
		return lists.Caller{}, false
	}
	if err := x.authorize(nil, nil, false); err != nil {
		x.finish(nil, err)
		return lists.Caller{}, false
	}
	return lists.Caller{OrgID: x.orgID, SubjectKind: x.principal.Kind, SubjectID: x.principal.SubjectID,
		SubjectName: x.principal.Name, RequestID: x.rec.RequestID, Role: x.role, Area: x.area}, true
}

// writeListError answers in the Fiks error body.
func (s *Server) writeListError(c *gin.Context, status int, message string) {
	code := codeInvalid
	switch status {
	case http.StatusNotFound:
		code = codeNotFound
	case http.StatusForbidden:
		code = "forbidden"
	case http.StatusConflict:
		code = "conflict"
	case http.StatusServiceUnavailable:
		code = "busy"
	case http.StatusInternalServerError:
		code = codeInternal
	}
	c.JSON(status, errorBody(&apiError{status: status, code: code, message: message}, freg.RedactIdentityNumbers(c.Request.URL.Path), s.now()))
}
