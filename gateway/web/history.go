package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/policy"
	"folkevakt/store"
)

const historyPage = 50

type changeRow struct {
	Change store.Change
	Before string
	After  string
}

type changesData struct {
	Rows       []changeRow
	Total      int
	Start      int
	Next, Prev int
}

func prettyJSON(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

func (a *app) changes(c *gin.Context) {
	start, _ := strconv.Atoi(c.Query("fra"))
	if start < 1 {
		start = 1
	}
	pg, err := a.o.Admin.QueryChanges(c.Request.Context(), sess(c).orgID, store.ChangeQuery{StartIndex: start, Count: historyPage})
	if err != nil {
		a.internal(c, "changes", err)
		return
	}
	d := changesData{Total: pg.Total, Start: start}
	for _, ch := range pg.Items {
		d.Rows = append(d.Rows, changeRow{Change: ch, Before: prettyJSON(ch.Before), After: prettyJSON(ch.After)})
	}
	if start+historyPage <= pg.Total {
		d.Next = start + historyPage
	}
	if start > 1 {
		d.Prev = max(1, start-historyPage)
	}
	a.render(c, http.StatusOK, "changes", page{Title: "Endringshistorikk", Section: "konsoll", Data: d})
}

// ---- audit log ----

type auditForm struct {
	Person, Subject, Role, From, To, Decision string
	Start                                     int
}

type auditData struct {
	Form    auditForm
	Roles   []store.Role
	Records []store.AuditRecord
	Total   int
	Next    int
}

// auditPage filters with POST, so that an identity number never appears in
// a URL; GET shows the newest records unfiltered.
func (a *app) auditPage(c *gin.Context) {
	ctx := actorCtx(c) // the audit read is audited with the console user as actor
	orgID := sess(c).orgID
	f := auditForm{Start: 1}
	var errs []fieldError
	q := store.AuditQuery{Count: historyPage}
	if c.Request.Method == http.MethodPost {
		f = auditForm{Person: strings.TrimSpace(c.PostForm("person")), Subject: strings.TrimSpace(c.PostForm("subjekt")),
			Role: c.PostForm("rolle"), From: c.PostForm("fra"), To: c.PostForm("til"), Decision: c.PostForm("beslutning")}
		f.Start, _ = strconv.Atoi(c.PostForm("start"))
		if f.Start < 1 {
			f.Start = 1
		}
		q.Person, q.SubjectID, q.RoleID, q.Decision = f.Person, f.Subject, f.Role, f.Decision
		if f.Person != "" && !reFnr.MatchString(f.Person) {
			errs = append(errs, fieldError{"person", "Fødselsnummer eller d-nummer må være 11 siffer."})
		}
		if f.From != "" {
			t, err := time.ParseInLocation(time.DateOnly, f.From, time.Local)
			if err != nil {
				errs = append(errs, fieldError{"fra", "Fra-dato må være en dato."})
			}
			q.From = t
		}
		if f.To != "" {
			t, err := time.ParseInLocation(time.DateOnly, f.To, time.Local)
			if err != nil {
				errs = append(errs, fieldError{"til", "Til-dato må være en dato."})
			}
			q.To = t.Add(24 * time.Hour)
		}
		if f.Decision != "" && f.Decision != store.DecisionAllow && f.Decision != store.DecisionDeny {
			errs = append(errs, fieldError{"beslutning", "Velg et gyldig utfall."})
		}
	}
	q.StartIndex = f.Start
	d := auditData{Form: f}
	roles, err := a.o.Admin.ListRoles(ctx, orgID)
	if err != nil {
		a.internal(c, "roles", err)
		return
	}
	d.Roles = roles
	status := http.StatusOK
	if len(errs) == 0 {
		pg, err := a.o.Admin.QueryAudit(ctx, orgID, q)
		if err != nil {
			if _, text, ok := validationText(err); ok {
				errs = append(errs, fieldError{"person", text})
			} else {
				a.internal(c, "audit", err)
				return
			}
		}
		d.Records, d.Total = pg.Items, pg.Total
		if f.Start+historyPage <= pg.Total {
			d.Next = f.Start + historyPage
		}
	}
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	a.render(c, status, "audit", page{Title: "Logg over oppslag", Section: "konsoll", Errors: errs, Data: d})
}

// ---- explain ----

type explainData struct {
	Roles        []store.Role
	Groups       []store.Group
	Users        []store.User
	Integrations []store.Integration
	Elements     []freg.Element
	Subject      string
	RoleID       string
	Purpose      string
	Chosen       []string
	Result       *policy.Explanation
	SubjectName  string
	RoleName     string
}

var ruleLabels = map[string]string{
	"role": "Rollen finnes", "subject": "Subjektet er aktivt", "grant": "Tilgang til rollen",
	"purpose": "Bruksområdet er med i rollen", "element": "Opplysningen er med i rollen",
	"confidential": "Tjenesteområdet tillater taushetsbelagte opplysninger", "usage": "Rollens bruk",
}

func (a *app) explainPage(c *gin.Context) {
	ctx := c.Request.Context()
	orgID := sess(c).orgID
	d := explainData{Subject: c.Query("subjekt"), RoleID: c.Query("rolle"), Purpose: store.PurposeSearch}
	var err error
	if d.Roles, err = a.o.Admin.ListRoles(ctx, orgID); err != nil {
		a.internal(c, "roles", err)
		return
	}
	if d.Integrations, err = a.o.Admin.ListIntegrations(ctx, orgID); err != nil {
		a.internal(c, "integrations", err)
		return
	}
	t := a.o.Store.Tenant(orgID)
	gp, err := t.ListGroups(ctx, store.ListQuery{Count: 1000})
	if err != nil {
		a.internal(c, "groups", err)
		return
	}
	d.Groups = gp.Items
	up, err := t.ListUsers(ctx, store.ListQuery{Count: 1000})
	if err != nil {
		a.internal(c, "users", err)
		return
	}
	d.Users = up.Items
	for _, e := range freg.Elements {
		d.Elements = append(d.Elements, e)
	}
	var errs []fieldError
	if c.Request.Method == http.MethodPost {
		d.Subject, d.RoleID, d.Purpose, d.Chosen = c.PostForm("subjekt"), c.PostForm("rolle"), c.PostForm("bruksomrade"), c.PostFormArray("element")
		kind, id, _ := strings.Cut(d.Subject, ":")
		x, err := a.o.Admin.Explain(ctx, a.o.Engine, orgID, policy.Query{
			Subject: policy.Subject{Kind: kind, ID: id}, RoleID: d.RoleID, Purpose: d.Purpose, Elements: d.Chosen})
		if err != nil {
			field, text, ok := validationText(err)
			if !ok {
				a.errorPage(c, http.StatusNotFound, "Fant ikke rollen", "Velg en rolle fra listen.")
				return
			}
			if field == "role" {
				field = "rolle"
			} else {
				field = "subjekt"
			}
			errs = append(errs, fieldError{field, text})
		} else {
			d.Result = &x
			for _, r := range d.Roles {
				if r.ID == d.RoleID {
					d.RoleName = r.Name
				}
			}
		}
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	a.render(c, status, "explain", page{Title: "Hvorfor har denne gruppen tilgang til denne opplysningen?", Section: "konsoll", Errors: errs, Data: d})
}
