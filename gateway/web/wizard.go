package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/policy/admin"
	"folkevakt/store"
)

// roleDraft is the wizard's state between steps, kept in the session.
type roleDraft struct {
	EditID string // the role being changed; empty when creating
	In     admin.RoleInput
	Done   int // the highest step completed
}

// wizardSteps are the seed's steps 1–5; step 6 (tilganger) is the grants
// page of the created role.
var wizardSteps = []string{"Informasjon om rollen", "Bruksområder", "Opplysninger som rollen kan hente ut", "Graderte adresser", "Oppsummering"}

type wizardData struct {
	Step    int
	Steps   []string
	Draft   roleDraft
	Areas   []store.ServiceArea
	Area    store.ServiceArea
	Parts   []partGroup
	Editing bool
}

func (a *app) wizardStart(c *gin.Context) {
	sess(c).draft = &roleDraft{In: admin.RoleInput{Usage: store.UsageWebAndM2M, GradedAddresses: store.GradedHide,
		Purposes: []string{store.PurposeSearch}}}
	redirect(c, "/konsoll/veiviser/1")
}

func (a *app) wizardEdit(c *gin.Context) {
	r, _, ok := a.loadRole(c)
	if !ok {
		return
	}
	sess(c).draft = &roleDraft{EditID: r.ID, Done: 4, In: admin.RoleInput{Name: r.Name, Description: r.Description,
		ServiceArea: r.ServiceAreaID, Usage: r.Usage, Purposes: r.Purposes, Elements: r.Elements, GradedAddresses: r.GradedAddresses}}
	redirect(c, "/konsoll/veiviser/1")
}

func (a *app) wizardData(c *gin.Context, step int) (wizardData, bool) {
	s := sess(c)
	d := wizardData{Step: step, Steps: wizardSteps, Draft: *s.draft, Editing: s.draft.EditID != ""}
	areas, err := a.o.Admin.ListServiceAreas(c.Request.Context(), s.orgID)
	if err != nil {
		a.internal(c, "service areas", err)
		return d, false
	}
	d.Areas = areas
	for _, ar := range areas {
		if ar.ID == d.Draft.In.ServiceArea {
			d.Area = ar
		}
	}
	d.Parts = elementParts(d.Draft.In.Elements, d.Area)
	return d, true
}

// stepOf parses the step and checks that the earlier ones are done.
func (a *app) stepOf(c *gin.Context) (int, bool) {
	s := sess(c)
	if s.draft == nil {
		redirect(c, "/konsoll/roller/ny")
		return 0, false
	}
	n, err := strconv.Atoi(c.Param("step"))
	if err != nil || n < 1 || n > len(wizardSteps) {
		a.errorPage(c, http.StatusNotFound, "Fant ikke siden", "Steget finnes ikke.")
		return 0, false
	}
	if n > s.draft.Done+1 {
		redirect(c, "/konsoll/veiviser/"+strconv.Itoa(s.draft.Done+1))
		return 0, false
	}
	return n, true
}

func (a *app) wizardTitle(d wizardData) string {
	verb := "Opprett rolle"
	if d.Editing {
		verb = "Endre rolle"
	}
	return verb + " – " + strconv.Itoa(d.Step) + " " + wizardSteps[d.Step-1]
}

func (a *app) wizardStep(c *gin.Context) {
	n, ok := a.stepOf(c)
	if !ok {
		return
	}
	d, ok := a.wizardData(c, n)
	if !ok {
		return
	}
	a.render(c, http.StatusOK, "wizard", page{Title: a.wizardTitle(d), Section: "konsoll", Data: d})
}

func (a *app) wizardSubmit(c *gin.Context) {
	n, ok := a.stepOf(c)
	if !ok {
		return
	}
	s := sess(c)
	dr := s.draft
	var errs []fieldError
	switch n {
	case 1:
		dr.In.ServiceArea = c.PostForm("tjenesteomrade")
		dr.In.Name = strings.TrimSpace(c.PostForm("navn"))
		dr.In.Description = strings.TrimSpace(c.PostForm("beskrivelse"))
		dr.In.Usage = c.PostForm("bruk")
		if dr.In.ServiceArea == "" {
			errs = append(errs, fieldError{"tjenesteomrade", "Velg et tjenesteområde."})
		}
		if dr.In.Name == "" {
			errs = append(errs, fieldError{"navn", "Skriv inn navn på rollen."})
		}
		if dr.In.Description == "" {
			errs = append(errs, fieldError{"beskrivelse", "Skriv inn en beskrivelse."})
		}
		if dr.In.Usage != store.UsageWebAndM2M && dr.In.Usage != store.UsageM2M {
			errs = append(errs, fieldError{"bruk-web", "Velg hvordan rollen skal brukes."})
		}
	case 2:
		dr.In.Purposes = c.PostFormArray("bruksomrade")
		if len(dr.In.Purposes) == 0 {
			errs = append(errs, fieldError{"bruksomrade-search", "Velg minst ett bruksområde."})
		}
	case 3:
		d, ok := a.wizardData(c, n)
		if !ok {
			return
		}
		chosen := c.PostFormArray("element")
		if part := c.PostForm("alle"); part != "" {
			// "Velg alle" in one part: add its selectable elements and stay.
			for _, pg := range d.Parts {
				if pg.Part != part {
					continue
				}
				for _, e := range pg.Elements {
					if !e.Disabled && !slices.Contains(chosen, e.Name) {
						chosen = append(chosen, e.Name)
					}
				}
			}
			dr.In.Elements = chosen
			redirect(c, "/konsoll/veiviser/3")
			return
		}
		var keep []string
		for _, e := range chosen {
			if el, ok := freg.LookupElement(e); ok && (!el.Confidential || d.Area.ConfidentialAllowed) {
				keep = append(keep, e)
			}
		}
		dr.In.Elements = keep
		if len(keep) == 0 {
			errs = append(errs, fieldError{"element-identitetsgrunnlag", "Velg minst én opplysning i tillegg til fødselsnummer eller d-nummer."})
		}
	case 4:
		dr.In.GradedAddresses = c.PostForm("graderte")
		if dr.In.GradedAddresses != store.GradedHide && dr.In.GradedAddresses != store.GradedShow {
			errs = append(errs, fieldError{"graderte-hide", "Velg hvordan graderte adresser skal vises."})
		}
	case 5:
		a.wizardFinish(c)
		return
	}
	if len(errs) > 0 {
		d, ok := a.wizardData(c, n)
		if !ok {
			return
		}
		a.render(c, http.StatusBadRequest, "wizard", page{Title: a.wizardTitle(d), Section: "konsoll", Errors: errs, Data: d})
		return
	}
	if n > dr.Done {
		dr.Done = n
	}
	redirect(c, "/konsoll/veiviser/"+strconv.Itoa(n+1))
}

// wizardFinish creates (or replaces) the role through policy/admin, which
// applies every rule; its refusal is shown on the summary.
func (a *app) wizardFinish(c *gin.Context) {
	s := sess(c)
	dr := s.draft
	var r store.Role
	var err error
	if dr.EditID != "" {
		r, err = a.o.Admin.ReplaceRole(actorCtx(c), s.orgID, dr.EditID, dr.In)
	} else {
		r, err = a.o.Admin.CreateRole(actorCtx(c), s.orgID, dr.In)
	}
	if err != nil {
		_, text, ok := validationText(err)
		if !ok {
			if errors.Is(err, store.ErrNotFound) {
				a.errorPage(c, http.StatusNotFound, "Fant ikke rollen", "Rollen finnes ikke lenger.")
				return
			}
			a.internal(c, "save role", err)
			return
		}
		d, ok := a.wizardData(c, 5)
		if !ok {
			return
		}
		a.render(c, http.StatusBadRequest, "wizard", page{Title: a.wizardTitle(d), Section: "konsoll",
			Errors: []fieldError{{"opprett", text}}, Data: d})
		return
	}
	s.draft = nil
	if dr.EditID != "" {
		s.flash = "✓ Endringene er lagret."
		redirect(c, "/konsoll/roller/"+r.ID)
		return
	}
	s.flash = "✓ Rollen har blitt opprettet!"
	redirect(c, "/konsoll/roller/"+r.ID+"/tilganger?veiviser=1")
}
