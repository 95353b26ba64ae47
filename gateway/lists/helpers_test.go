package lists

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/synth"
	"folkevakt/policy"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// recordingAudit is the audit writer of the tests: the store's own
// append, and a copy of each record for assertions.
type recordingAudit struct {
	st  store.Store
	mu  *sync.Mutex
	out *[]store.AuditRecord
}

func (a recordingAudit) Write(ctx context.Context, r store.AuditRecord) (store.AuditRecord, error) {
	if _, err := a.st.AppendAudit(ctx, []store.AuditRecord{r}); err != nil {
		return r, err
	}
	if a.out != nil {
		a.mu.Lock()
		*a.out = append(*a.out, r)
		a.mu.Unlock()
	}
	return r, nil
}

// newAccess is the real access service over st with the real policy
// engine and a user of orgID; grant gives the user a role.
func newAccess(st store.Store, orgID string, up freg.Client, aw access.AuditWriter, now func() time.Time) (svc *access.Service, userID string, grant func(roleID string) error, err error) {
	ctx := context.Background()
	model, err := os.ReadFile("../../model.conf")
	if err != nil {
		return nil, "", nil, err
	}
	eng, err := policy.New(ctx, policy.Options{Model: string(model), Store: st})
	if err != nil {
		return nil, "", nil, err
	}
	u, err := st.Tenant(orgID).CreateUser(ctx, store.User{UserName: fmt.Sprintf("ola-%d@example.no", time.Now().UnixNano()), Active: true})
	if err != nil {
		return nil, "", nil, err
	}
	svc = access.New(access.Options{Store: st, Policy: eng, Upstream: up, Audit: aw, Now: now})
	return svc, u.ID, func(roleID string) error {
		_, err := st.Tenant(orgID).CreateGrant(ctx, store.Grant{RoleID: roleID, Kind: store.SubjectUser, SubjectID: u.ID})
		return err
	}, nil
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    *sqlstore.Store
	reg   *synth.Register
	svc   *Service
	org   store.Organisation
	role  store.Role
	area  store.ServiceArea
	dir   string
	user  string
	grant func(roleID string)
	mu    sync.Mutex
	audit []store.AuditRecord
	now   time.Time
	nowMu sync.Mutex
}

var allListElements = []string{"identifikasjonsnummer", "status", "navn", "foedsel", "kjoenn", "doedsfall", "sivilstand",
	"statsborgerskap", "bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "adressebeskyttelse",
	"familierelasjon", "foreldreansvar"}

type fixtureOpts struct {
	n        int
	upstream func(freg.Client) freg.Client
	opts     func(*Options)
	noStart  bool
}

func newFixture(t *testing.T, fo fixtureOpts) *fixture {
	t.Helper()
	if fo.n == 0 {
		fo.n = 3000
	}
	f := &fixture{t: t, ctx: context.Background(), dir: t.TempDir(), now: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)}
	var err error
	f.st, err = sqlstore.Open(f.ctx, sqlstore.Options{Path: filepath.Join(f.dir, "folkevakt.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	if err := f.st.Migrate(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.org, err = f.st.CreateOrganisation(f.ctx, store.Organisation{OrgNumber: "974760673", Name: "Oslo kommune", Kommunenummer: []string{"0301"}})
	if err != nil {
		t.Fatal(err)
	}
	f.area, err = f.st.Tenant(f.org.ID).GetServiceArea(f.ctx, "helse-omsorg")
	if err != nil {
		t.Fatal(err)
	}
	f.reg, err = synth.Generate(synth.Config{Seed: 7, N: fo.n, Kommuner: []string{"0301"}})
	if err != nil {
		t.Fatal(err)
	}
	var up freg.Client = f.reg
	if fo.upstream != nil {
		up = fo.upstream(f.reg)
	}
	acc, user, grant, err := newAccess(f.st, f.org.ID, up, recordingAudit{st: f.st, mu: &f.mu, out: &f.audit}, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	f.user = user
	f.grant = func(roleID string) {
		if err := grant(roleID); err != nil {
			t.Fatal(err)
		}
	}
	f.role = f.createRole([]string{store.PurposeCitizenLists, store.PurposeSearch}, allListElements)
	o := Options{Store: f.st, Upstream: up, Access: acc, DataDir: f.dir, Now: f.clock}
	if fo.opts != nil {
		fo.opts(&o)
	}
	f.svc, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	if !fo.noStart {
		f.start()
	}
	return f
}

func (f *fixture) start() {
	if err := f.svc.Start(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(f.svc.Close)
}

func (f *fixture) clock() time.Time {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.nowMu.Lock()
	f.now = f.now.Add(d)
	f.nowMu.Unlock()
}

func (f *fixture) createRole(purposes, elements []string) store.Role {
	f.t.Helper()
	r, err := f.st.Tenant(f.org.ID).CreateRole(f.ctx, store.Role{Name: "role " + time.Now().String(), ServiceAreaID: f.area.ID,
		Usage: store.UsageWebAndM2M, Purposes: purposes, Elements: elements, GradedAddresses: store.GradedHide})
	if err != nil {
		f.t.Fatal(err)
	}
	f.grant(r.ID)
	return r
}

func (f *fixture) caller(role store.Role) Caller {
	return Caller{OrgID: f.org.ID, SubjectKind: store.SubjectUser, SubjectID: f.user, SubjectName: "ola", RequestID: "req-1",
		Role: role, Area: f.area}
}

// router mounts the handlers with an Authorize that checks only that the
// path names the caller's role (the gateway does the real checks).
func (f *fixture) router(who Caller) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	h := &Handlers{Service: f.svc,
		Authorize: func(c *gin.Context, purpose string) (Caller, bool) {
			if c.Param("rolleId") != who.Role.ID {
				c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"message": "not your role"})
				return Caller{}, false
			}
			return who, true
		},
		WriteError: func(c *gin.Context, e *access.Error) {
			c.AbortWithStatusJSON(e.Status(), gin.H{"status": e.Status(), "message": e.Message, "errorCode": e.Reason})
		}}
	h.Register(r)
	return r
}

func do(t *testing.T, h http.Handler, method, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// wait polls the store until the order leaves queued/running; the deadline
// only turns a hang into a failure.
func (f *fixture) wait(id string) store.ListOrder {
	f.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		o, err := f.st.Tenant(f.org.ID).GetListOrder(f.ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		if o.Status != store.OrderQueued && o.Status != store.OrderRunning {
			return o
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("order %s still %s", id, o.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// everyone returns every person of the register with all list elements,
// by an uttrekk of all statuses nationwide: the brute-force side of tests.
func (f *fixture) everyone() []*freg.Person {
	f.t.Helper()
	id, err := f.reg.OrderExtract(f.ctx, freg.ExtractRequest{Personstatustyper: []string{"aktiv", "bosatt", "utflyttet", "doed", "inaktiv"}})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*freg.Person
	for n := 0; ; n++ {
		b, err := f.reg.ExtractBatch(f.ctx, id, n)
		if err != nil {
			f.t.Fatal(err)
		}
		if b.Done {
			return out
		}
		for ids := range slices.Chunk(b.FoedselsEllerDNummer, 1000) {
			res, err := f.reg.BulkLookup(f.ctx, ids, allListElements)
			if err != nil {
				f.t.Fatal(err)
			}
			for _, r := range res {
				out = append(out, r.Folkeregisterperson)
			}
		}
	}
}
