package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/policy/admin"
	"folkevakt/store"
)

// actorCtx is the request context with the console actor for the change
// history.
func actorCtx(c *gin.Context) context.Context {
	return store.WithActor(c.Request.Context(), "console:"+sess(c).userName)
}

// validationText turns a service-layer error into Norwegian text for the
// form, naming the field.
func validationText(err error) (field, text string, ok bool) {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		if errors.Is(err, store.ErrConflict) {
			return "name", "Navnet er allerede i bruk, eller tilgangen finnes fra før.", true
		}
		return "", "", false
	}
	labels := map[string]string{
		"name": "Navn", "description": "Beskrivelse", "serviceArea": "Tjenesteområde", "usage": "Hvordan skal rollen brukes?",
		"purposes": "Bruksområder", "elements": "Opplysninger", "gradedAddresses": "Graderte adresser",
		"orgNumber": "Autorisert organisasjonsnummer", "subject": "Tilgang", "expiresAt": "Utløper", "kind": "Type tilgang",
	}
	msg := ve.Message
	switch {
	case strings.HasPrefix(msg, "must not be empty"):
		msg = "må fylles ut"
	case strings.HasPrefix(msg, "longer than"):
		msg = "er for lang"
	case strings.Contains(msg, "confidential"):
		msg = "inneholder taushetsbelagte opplysninger som tjenesteområdet ikke har tilgang til (" + msg + ")"
	}
	label := labels[ve.Field]
	if label == "" {
		label = ve.Field
	}
	return ve.Field, label + ": " + msg, true
}

// ---- role overview ----

type roleRow struct {
	Role         store.Role
	Area         store.ServiceArea
	Confidential bool
	Access       string
}

func (a *app) roleOverview(c *gin.Context) {
	ctx := c.Request.Context()
	orgID := sess(c).orgID
	roles, err := a.o.Admin.ListRoles(ctx, orgID)
	if err != nil {
		a.internal(c, "list roles", err)
		return
	}
	areas, err := a.areaMap(ctx, orgID)
	if err != nil {
		a.internal(c, "service areas", err)
		return
	}
	rows := make([]roleRow, 0, len(roles))
	for _, r := range roles {
		gs, err := a.o.Admin.ListGrants(ctx, orgID, r.ID)
		if err != nil {
			a.internal(c, "list grants", err)
			return
		}
		rows = append(rows, roleRow{Role: r, Area: areas[r.ServiceAreaID], Confidential: areas[r.ServiceAreaID].ConfidentialAllowed && hasConfidential(r.Elements), Access: accessText(gs)})
	}
	a.render(c, http.StatusOK, "roles", page{Title: "Roller", Section: "konsoll", Data: rows})
}

func hasConfidential(elements []string) bool {
	for _, e := range elements {
		if el, ok := freg.LookupElement(e); ok && el.Confidential {
			return true
		}
	}
	return false
}

// accessText is the seed's "1 integrasjon", "3 personer" column.
func accessText(gs []store.Grant) string {
	var n [3]int
	for _, g := range gs {
		switch g.Kind {
		case store.SubjectIntegration:
			n[0]++
		case store.SubjectGroup:
			n[1]++
		case store.SubjectUser:
			n[2]++
		}
	}
	var parts []string
	if n[0] > 0 {
		parts = append(parts, plural(n[0], "integrasjon", "integrasjoner"))
	}
	if n[1] > 0 {
		parts = append(parts, plural(n[1], "gruppe", "grupper"))
	}
	if n[2] > 0 {
		parts = append(parts, plural(n[2], "person", "personer"))
	}
	if len(parts) == 0 {
		return "Ingen"
	}
	return strings.Join(parts, ", ")
}

func (a *app) areaMap(ctx context.Context, orgID string) (map[string]store.ServiceArea, error) {
	areas, err := a.o.Admin.ListServiceAreas(ctx, orgID)
	if err != nil {
		return nil, err
	}
	m := map[string]store.ServiceArea{}
	for _, ar := range areas {
		m[ar.ID] = ar
	}
	return m, nil
}

// ---- role detail, copy, delete ----

type roleDetailData struct {
	Role   store.Role
	Area   store.ServiceArea
	Grants []grantRow
	Parts  []partGroup
}

type grantRow struct {
	Grant store.Grant
	Kind  string
	Name  string
}

func (a *app) loadRole(c *gin.Context) (store.Role, store.ServiceArea, bool) {
	ctx := c.Request.Context()
	orgID := sess(c).orgID
	r, err := a.o.Admin.GetRole(ctx, orgID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(c, http.StatusNotFound, "Fant ikke rollen", "Rollen finnes ikke (den kan være slettet).")
		return r, store.ServiceArea{}, false
	}
	if err != nil {
		a.internal(c, "get role", err)
		return r, store.ServiceArea{}, false
	}
	areas, err := a.areaMap(ctx, orgID)
	if err != nil {
		a.internal(c, "service areas", err)
		return r, store.ServiceArea{}, false
	}
	return r, areas[r.ServiceAreaID], true
}

func (a *app) grantRows(c *gin.Context, roleID string) ([]grantRow, error) {
	ctx := c.Request.Context()
	orgID := sess(c).orgID
	gs, err := a.o.Admin.ListGrants(ctx, orgID, roleID)
	if err != nil {
		return nil, err
	}
	t := a.o.Store.Tenant(orgID)
	rows := make([]grantRow, 0, len(gs))
	for _, g := range gs {
		row := grantRow{Grant: g, Name: g.SubjectID}
		switch g.Kind {
		case store.SubjectIntegration:
			row.Kind = "Integrasjon"
			if i, err := a.o.Admin.GetIntegration(ctx, orgID, g.SubjectID); err == nil {
				row.Name = i.Name
			}
		case store.SubjectGroup:
			row.Kind = "Gruppe"
			if gr, err := t.GetGroup(ctx, g.SubjectID); err == nil {
				row.Name = gr.DisplayName
			}
		case store.SubjectUser:
			row.Kind = "Person"
			if u, err := t.GetUser(ctx, g.SubjectID); err == nil {
				row.Name = u.UserName
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (a *app) roleDetail(c *gin.Context) {
	r, area, ok := a.loadRole(c)
	if !ok {
		return
	}
	rows, err := a.grantRows(c, r.ID)
	if err != nil {
		a.internal(c, "grants", err)
		return
	}
	a.render(c, http.StatusOK, "role", page{Title: r.Name, Section: "konsoll",
		Data: roleDetailData{Role: r, Area: area, Grants: rows, Parts: elementParts(r.Elements, area)}})
}

func (a *app) roleCopy(c *gin.Context) {
	r, area, ok := a.loadRole(c)
	if !ok {
		return
	}
	name := strings.TrimSpace(c.PostForm("navn"))
	cp, err := a.o.Admin.CopyRole(actorCtx(c), sess(c).orgID, r.ID, name)
	if err != nil {
		if _, text, ok := validationText(err); ok {
			rows, _ := a.grantRows(c, r.ID)
			a.render(c, http.StatusBadRequest, "role", page{Title: r.Name, Section: "konsoll",
				Errors: []fieldError{{"kopi-navn", text}},
				Data:   roleDetailData{Role: r, Area: area, Grants: rows, Parts: elementParts(r.Elements, area)}})
			return
		}
		a.internal(c, "copy role", err)
		return
	}
	sess(c).flash = "Rollen er kopiert. Kopien har ingen tilganger."
	redirect(c, "/konsoll/roller/"+cp.ID)
}

func (a *app) roleDelete(c *gin.Context) {
	if err := a.o.Admin.DeleteRole(actorCtx(c), sess(c).orgID, c.Param("id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.internal(c, "delete role", err)
		return
	}
	sess(c).flash = "Rollen og tilgangene til den er slettet."
	redirect(c, "/konsoll")
}

// ---- grants (wizard step 6 and role page) ----

type grantsData struct {
	Role         store.Role
	Grants       []grantRow
	Integrations []store.Integration
	Groups       []store.Group
	Users        []store.User
	Wizard       bool
	Explain      string
}

func (a *app) grantsData(c *gin.Context, r store.Role) (grantsData, error) {
	ctx := c.Request.Context()
	orgID := sess(c).orgID
	d := grantsData{Role: r, Wizard: c.Query("veiviser") != "" || c.PostForm("veiviser") != ""}
	var err error
	if d.Grants, err = a.grantRows(c, r.ID); err != nil {
		return d, err
	}
	if d.Integrations, err = a.o.Admin.ListIntegrations(ctx, orgID); err != nil {
		return d, err
	}
	t := a.o.Store.Tenant(orgID)
	gp, err := t.ListGroups(ctx, store.ListQuery{Count: 1000})
	if err != nil {
		return d, err
	}
	d.Groups = gp.Items
	up, err := t.ListUsers(ctx, store.ListQuery{Count: 1000})
	if err != nil {
		return d, err
	}
	d.Users = up.Items
	return d, nil
}

func (a *app) grantsPage(c *gin.Context) {
	r, _, ok := a.loadRole(c)
	if !ok {
		return
	}
	d, err := a.grantsData(c, r)
	if err != nil {
		a.internal(c, "grants page", err)
		return
	}
	a.render(c, http.StatusOK, "grants", page{Title: "Tilganger til rollen", Section: "konsoll", Data: d})
}

func (a *app) grantCreate(c *gin.Context) {
	r, _, ok := a.loadRole(c)
	if !ok {
		return
	}
	kind := c.PostForm("type")
	in := admin.GrantInput{Kind: kind}
	switch kind {
	case store.SubjectIntegration:
		in.Subject = c.PostForm("integrasjon")
	case store.SubjectGroup:
		in.Subject = c.PostForm("gruppe")
	case store.SubjectUser:
		in.Subject = c.PostForm("bruker")
	}
	field := map[string]string{store.SubjectIntegration: "integrasjon", store.SubjectGroup: "gruppe", store.SubjectUser: "bruker"}[kind]
	if field == "" {
		field = "integrasjon"
	}
	var errs []fieldError
	if in.Subject == "" {
		errs = append(errs, fieldError{field, "Velg hvem som skal få tilgang."})
	}
	if exp := c.PostForm("utloper-" + kind); exp != "" {
		t, err := time.ParseInLocation(time.DateOnly, exp, time.Local)
		if err != nil {
			errs = append(errs, fieldError{"utloper-" + kind, "Utløpsdato må være en dato."})
		} else {
			t = t.Add(24*time.Hour - time.Second)
			in.ExpiresAt = &t
		}
	}
	if len(errs) == 0 {
		_, err := a.o.Admin.CreateGrant(actorCtx(c), sess(c).orgID, r.ID, in)
		if err == nil {
			sess(c).flash = "✔ Tilgangen har blitt lagt til rollen."
			to := "/konsoll/roller/" + r.ID + "/tilganger"
			if c.PostForm("veiviser") != "" {
				to += "?veiviser=1"
			}
			redirect(c, to)
			return
		}
		_, text, ok := validationText(err)
		if !ok {
			a.internal(c, "create grant", err)
			return
		}
		if errors.Is(err, store.ErrConflict) {
			text = "Denne tilgangen finnes allerede."
		}
		errs = append(errs, fieldError{field, text})
	}
	d, err := a.grantsData(c, r)
	if err != nil {
		a.internal(c, "grants page", err)
		return
	}
	a.render(c, http.StatusBadRequest, "grants", page{Title: "Tilganger til rollen", Section: "konsoll", Errors: errs, Data: d})
}

func (a *app) grantRevoke(c *gin.Context) {
	id := c.Param("id")
	if err := a.o.Admin.RevokeGrant(actorCtx(c), sess(c).orgID, id, c.Param("grant")); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.internal(c, "revoke grant", err)
		return
	}
	sess(c).flash = "Tilgangen er fjernet."
	redirect(c, "/konsoll/roller/"+id+"/tilganger")
}

// ---- elements grouped by part (wizard step 3, role page) ----

type partGroup struct {
	Part     string
	Label    string
	Elements []elementOption
}

type elementOption struct {
	freg.Element
	Checked  bool
	Disabled bool // confidential and the area does not allow it, or fixed
	Fixed    bool // fødselsnummer: always included
}

var partLabels = map[string]string{
	freg.PartPersonBasis:               "Person basis",
	freg.PartIdentitetsgrunnlagUtvidet: "Identitetsgrunnlag utvidet",
	freg.PartRelasjonUtvidet:           "Relasjon utvidet",
	freg.PartEnkeltelement:             "Enkeltelementer",
	freg.PartHistorikk:                 "Historikk",
}

// elementParts groups the catalogue by part, marking what is selected,
// fixed (fødselsnummer) and out of the area's reach (confidential).
func elementParts(selected []string, area store.ServiceArea) []partGroup {
	var out []partGroup
	idx := map[string]int{}
	for _, e := range freg.Elements {
		i, ok := idx[e.Part]
		if !ok {
			i = len(out)
			idx[e.Part] = i
			out = append(out, partGroup{Part: e.Part, Label: partLabels[e.Part]})
		}
		opt := elementOption{Element: e, Checked: slices.Contains(selected, e.Name)}
		if e.Name == "identifikasjonsnummer" {
			opt.Checked, opt.Fixed, opt.Disabled = true, true, true
		}
		if e.Confidential && !area.ConfidentialAllowed {
			opt.Disabled, opt.Checked = true, false
		}
		out[i].Elements = append(out[i].Elements, opt)
	}
	return out
}
