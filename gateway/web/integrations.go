package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg/ident"
	"folkevakt/policy/admin"
	"folkevakt/store"
)

var reUUIDish = regexp.MustCompile(`^[0-9a-fA-F-]{1,64}$`)

type integrationsData struct {
	Integrations []store.Integration
}

func (a *app) integrations(c *gin.Context) {
	is, err := a.o.Admin.ListIntegrations(c.Request.Context(), sess(c).orgID)
	if err != nil {
		a.internal(c, "list integrations", err)
		return
	}
	a.render(c, http.StatusOK, "integrations", page{Title: "Integrasjoner", Section: "konsoll", Data: integrationsData{Integrations: is}})
}

type integrationFormData struct {
	In     admin.IntegrationInput
	RoleID string // back to this role's grants afterwards
	Review bool
}

// returnRole is a role id passed along the integration pages, or "".
func returnRole(v string) string {
	if reUUIDish.MatchString(v) {
		return v
	}
	return ""
}

func (a *app) integrationNew(c *gin.Context) {
	d := integrationFormData{RoleID: returnRole(c.Query("rolle"))}
	if dr := sess(c).integDraft; dr != nil && c.Query("tilbake") != "" {
		d.In = *dr
	}
	a.render(c, http.StatusOK, "integrationnew", page{Title: "Opprett integrasjon – 1 Detaljer", Section: "konsoll", Data: d})
}

// integrationReview is step 2: verify before the password is generated.
func (a *app) integrationReview(c *gin.Context) {
	in := admin.IntegrationInput{
		Name:        strings.TrimSpace(c.PostForm("navn")),
		OrgNumber:   strings.TrimSpace(strings.ReplaceAll(c.PostForm("orgnr"), " ", "")),
		Description: strings.TrimSpace(c.PostForm("beskrivelse")),
	}
	d := integrationFormData{In: in, RoleID: returnRole(c.PostForm("rolle"))}
	var errs []fieldError
	if in.Name == "" {
		errs = append(errs, fieldError{"navn", "Skriv inn navn på integrasjonen."})
	}
	if err := ident.ValidOrgNumber(in.OrgNumber); err != nil {
		errs = append(errs, fieldError{"orgnr", "Autorisert organisasjonsnummer må være et gyldig organisasjonsnummer med ni siffer."})
	}
	if len(errs) > 0 {
		a.render(c, http.StatusBadRequest, "integrationnew", page{Title: "Opprett integrasjon – 1 Detaljer", Section: "konsoll", Errors: errs, Data: d})
		return
	}
	sess(c).integDraft = &in
	d.Review = true
	a.render(c, http.StatusOK, "integrationnew", page{Title: "Opprett integrasjon – 2 Opprett og generér passord", Section: "konsoll", Data: d})
}

func (a *app) integrationCreate(c *gin.Context) {
	s := sess(c)
	if s.integDraft == nil {
		redirect(c, "/konsoll/integrasjoner/ny")
		return
	}
	roleID := returnRole(c.PostForm("rolle"))
	sec, err := a.o.Admin.CreateIntegration(actorCtx(c), s.orgID, *s.integDraft)
	if err != nil {
		field, text, ok := validationText(err)
		if !ok {
			a.internal(c, "create integration", err)
			return
		}
		if field == "orgNumber" {
			field = "orgnr"
		} else if field == "name" {
			field = "navn"
		}
		a.render(c, http.StatusBadRequest, "integrationnew", page{Title: "Opprett integrasjon – 1 Detaljer", Section: "konsoll",
			Errors: []fieldError{{field, text}}, Data: integrationFormData{In: *s.integDraft, RoleID: roleID}})
		return
	}
	s.integDraft = nil
	s.secret = &sec
	to := "/konsoll/integrasjoner/opprettet"
	if roleID != "" {
		to += "?rolle=" + roleID
	}
	redirect(c, to)
}

type integrationCreatedData struct {
	Secret admin.IntegrationSecret
	RoleID string
}

// integrationCreated shows the id and password once, then forgets them.
func (a *app) integrationCreated(c *gin.Context) {
	s := sess(c)
	if s.secret == nil {
		a.errorPage(c, http.StatusGone, "Passordet vises ikke igjen",
			"Integrasjonspassordet vises bare én gang. Har du mistet det, må du lage et nytt passord for integrasjonen.")
		return
	}
	d := integrationCreatedData{Secret: *s.secret, RoleID: returnRole(c.Query("rolle"))}
	s.secret = nil
	a.render(c, http.StatusOK, "integrationcreated", page{Title: "Integrasjon ble opprettet", Section: "konsoll", Data: d})
}

func (a *app) integrationRotate(c *gin.Context) {
	s := sess(c)
	sec, err := a.o.Admin.RotateIntegrationPassword(actorCtx(c), s.orgID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(c, http.StatusNotFound, "Fant ikke integrasjonen", "Integrasjonen finnes ikke.")
		return
	}
	if err != nil {
		a.internal(c, "rotate password", err)
		return
	}
	s.secret = &sec
	redirect(c, "/konsoll/integrasjoner/opprettet")
}

func (a *app) integrationDelete(c *gin.Context) {
	if err := a.o.Admin.DeleteIntegration(actorCtx(c), sess(c).orgID, c.Param("id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.internal(c, "delete integration", err)
		return
	}
	sess(c).flash = "Integrasjonen og tilgangene dens er slettet."
	redirect(c, "/konsoll/integrasjoner")
}
