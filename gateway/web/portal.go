package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/policy"
	"folkevakt/store"
)

// maxHits bounds a portal search's result list.
const maxHits = 100

// resultRow is one person in the result list.
type resultRow struct {
	Handle       string
	Name         string
	Foedselsdato string
	Adresse      string
	Status       string
	Message      string
}

// portalRoles are the roles the employee may act in on the web now.
func (a *app) portalRoles(s *session) []store.Role {
	var out []store.Role
	for _, r := range a.o.Engine.RolesOf(s.orgID, policy.Subject{Kind: store.SubjectUser, ID: s.userID}) {
		if r.Usage == store.UsageWebAndM2M {
			out = append(out, r)
		}
	}
	return out
}

// currentRole returns the session's chosen role if it is still one the
// employee holds; with a single role that one is chosen.
func (a *app) currentRole(s *session) (store.Role, store.ServiceArea, bool) {
	roles := a.portalRoles(s)
	if len(roles) == 1 && s.roleID == "" {
		s.roleID = roles[0].ID
	}
	for _, r := range roles {
		if r.ID == s.roleID {
			_, area, _ := a.o.Engine.Role(s.orgID, r.ID)
			return r, area, true
		}
	}
	s.roleID = ""
	return store.Role{}, store.ServiceArea{}, false
}

type rolePickData struct {
	Roles   []store.Role
	Current string
}

func (a *app) portalHome(c *gin.Context) {
	s := sess(c)
	if _, _, ok := a.currentRole(s); ok && c.Query("bytt") == "" {
		redirect(c, "/portal/sok")
		return
	}
	a.render(c, http.StatusOK, "portalroles", page{Title: "Velg rolle", Section: "portal",
		Data: rolePickData{Roles: a.portalRoles(s), Current: s.roleID}})
}

func (a *app) portalChooseRole(c *gin.Context) {
	s := sess(c)
	id := c.PostForm("rolle")
	for _, r := range a.portalRoles(s) {
		if r.ID == id {
			s.roleID, s.results = id, nil
			redirect(c, "/portal/sok")
			return
		}
	}
	a.render(c, http.StatusBadRequest, "portalroles", page{Title: "Velg rolle", Section: "portal",
		Errors: []fieldError{{Field: "rolle-0", Message: "Velg en av rollene i listen."}},
		Data:   rolePickData{Roles: a.portalRoles(s)}})
}

// searchForm is the search page's input, kept in the session only.
type searchForm struct {
	Fnr, Navn, Adressenavn, Husnummer, Postnummer, Kommune, Foedselsdato string
	Fonetisk, Historiske, Doede, Opphold                                 bool
}

type searchData struct {
	Role     store.Role
	Form     searchForm
	Results  []resultRow
	Searched bool
	Message  string
	Kommuner []string
	CanLists bool
}

func (a *app) searchPage(c *gin.Context) {
	s := sess(c)
	role, _, ok := a.currentRole(s)
	if !ok {
		redirect(c, "/portal?bytt=1")
		return
	}
	d := searchData{Role: role, CanLists: slices.Contains(role.Purposes, store.PurposeCitizenLists)}
	if c.Query("resultat") != "" {
		d.Results, d.Searched = s.results, true
	}
	d.Kommuner = a.kommuner(c, s)
	a.render(c, http.StatusOK, "search", page{Title: "Søk etter personer", Section: "portal", Data: d})
}

func (a *app) kommuner(c *gin.Context, s *session) []string {
	o, err := a.o.Store.GetOrganisation(c.Request.Context(), s.orgID)
	if err != nil {
		return nil
	}
	return o.Kommunenummer
}

var (
	reFnr   = regexp.MustCompile(`^[0-9]{11}$`)
	reFour  = regexp.MustCompile(`^[0-9]{4}$`)
	reHusnr = regexp.MustCompile(`^[1-9][0-9]{0,3}$`)
)

func (a *app) searchSubmit(c *gin.Context) {
	s := sess(c)
	role, area, ok := a.currentRole(s)
	if !ok {
		redirect(c, "/portal?bytt=1")
		return
	}
	f := searchForm{
		Fnr:          strings.ReplaceAll(strings.TrimSpace(c.PostForm("fnr")), " ", ""),
		Navn:         strings.TrimSpace(c.PostForm("navn")),
		Adressenavn:  strings.TrimSpace(c.PostForm("adressenavn")),
		Husnummer:    strings.TrimSpace(c.PostForm("husnummer")),
		Postnummer:   strings.TrimSpace(c.PostForm("postnummer")),
		Kommune:      strings.TrimSpace(c.PostForm("kommune")),
		Foedselsdato: strings.TrimSpace(c.PostForm("foedselsdato")),
		Fonetisk:     c.PostForm("fonetisk") != "",
		Historiske:   c.PostForm("historiske") != "",
		Doede:        c.PostForm("doede") != "",
		Opphold:      c.PostForm("opphold") != "",
	}
	d := searchData{Role: role, Form: f, Kommuner: a.kommuner(c, s), CanLists: slices.Contains(role.Purposes, store.PurposeCitizenLists)}
	var errs []fieldError
	if f.Fnr != "" {
		if !reFnr.MatchString(f.Fnr) {
			errs = append(errs, fieldError{"fnr", "Fødselsnummer eller d-nummer må være 11 siffer."})
		}
	} else {
		if f.Husnummer != "" && !reHusnr.MatchString(f.Husnummer) {
			errs = append(errs, fieldError{"husnummer", "Husnummer må være et tall fra 1 til 9999."})
		}
		if f.Postnummer != "" && !reFour.MatchString(f.Postnummer) {
			errs = append(errs, fieldError{"postnummer", "Postnummer må være fire siffer."})
		}
		if f.Kommune != "" && !reFour.MatchString(f.Kommune) {
			errs = append(errs, fieldError{"kommune", "Kommunenummer må være fire siffer."})
		}
		if f.Navn == "" && f.Adressenavn == "" && f.Postnummer == "" && f.Kommune == "" && f.Foedselsdato == "" && f.Husnummer == "" {
			errs = append(errs, fieldError{"fnr", "Fyll inn fødselsnummer eller d-nummer, eller minst ett annet søkekriterium."})
		}
	}
	if len(errs) > 0 {
		a.render(c, http.StatusBadRequest, "search", page{Title: "Søk etter personer", Section: "portal", Errors: errs, Data: d})
		return
	}
	s.historic = f.Historiske
	if f.Fnr != "" {
		// A number overrides the other criteria and leads to the person.
		redirect(c, "/portal/person/"+s.handle(f.Fnr))
		return
	}
	q := url.Values{freg.ParamMaksTreff: {"100"}}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set(freg.ParamNavn, f.Navn)
	set(freg.ParamAdressenavn, f.Adressenavn)
	set(freg.ParamHusnummer, f.Husnummer)
	set(freg.ParamPostnummer, f.Postnummer)
	set(freg.ParamKommunenummer, f.Kommune)
	set(freg.ParamFoedselsdato, f.Foedselsdato)
	if f.Fonetisk {
		q.Set(freg.ParamSoekFonetisk, "true")
	}
	if f.Doede {
		q.Set(freg.ParamInkluderDoede, "true")
	}
	if f.Opphold {
		q.Set(freg.ParamInkluderOppholdsadresse, "true")
	}
	if f.Historiske {
		q.Set(freg.ParamOpplysningsgrunnlag, "begge")
	}
	ids, err := func() ([]string, error) {
		sq, err := freg.ParseSearchQuery(q)
		if err != nil {
			return nil, access.Invalid(err.Error())
		}
		return a.reader().Search(c.Request.Context(), a.caller(c, role, area, "portal search"), sq)
	}()
	if err != nil {
		e, _ := access.AsError(err)
		d.Message = e.Norwegian()
		a.render(c, e.Status(), "search", page{Title: "Søk etter personer", Section: "portal", Data: d})
		return
	}
	rows, msg := a.resultRows(c, s, role, area, ids)
	if msg != "" {
		d.Message = msg
		a.render(c, http.StatusOK, "search", page{Title: "Søk etter personer", Section: "portal", Data: d})
		return
	}
	s.results = rows
	redirect(c, "/portal/sok?resultat=1")
}

// resultRows looks the hits up with one bulkoppslag, asking only for the
// summary elements the role holds.
func (a *app) resultRows(c *gin.Context, s *session, role store.Role, area store.ServiceArea, ids []string) ([]resultRow, string) {
	if len(ids) == 0 {
		return []resultRow{}, ""
	}
	if len(ids) > maxHits {
		ids = ids[:maxHits]
	}
	var parts []string
	for _, p := range []string{"navn", "foedsel", "bostedsadresse", "status"} {
		if slices.Contains(role.Elements, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		parts = []string{access.IDElement}
	}
	res, err := a.reader().Bulk(c.Request.Context(), a.caller(c, role, area, "portal search results"), ids, access.PersonRequest{Parts: parts})
	if err != nil {
		return nil, access.Norwegian(err)
	}
	rows := make([]resultRow, 0, len(res))
	for _, r := range res {
		row := resultRow{Handle: s.handle(r.FoedselsEllerDNummer)}
		if p := r.Folkeregisterperson; p != nil {
			row.Name, row.Foedselsdato, row.Adresse, row.Status = summary(p)
		} else {
			row.Message = "Ikke funnet"
		}
		rows = append(rows, row)
	}
	return rows, ""
}

// summary picks the current name, birth date, address and status.
func summary(p *freg.Person) (name, born, addr, status string) {
	for _, n := range p.Navn {
		if n.ErGjeldende || name == "" {
			name = strings.Join(strings.Fields(n.Fornavn+" "+n.Mellomnavn+" "+n.Etternavn), " ")
		}
	}
	for _, f := range p.Foedsel {
		if f.ErGjeldende || born == "" {
			born = f.Foedselsdato
		}
	}
	for _, b := range p.Bostedsadresse {
		if (b.ErGjeldende || addr == "") && b.Vegadresse != nil {
			v := b.Vegadresse
			addr = v.Adressenavn
			if v.Adressenummer != nil {
				addr += " " + v.Adressenummer.Husnummer + v.Adressenummer.Husbokstav
			}
			if v.Poststed != nil {
				addr += ", " + v.Poststed.Postnummer + " " + v.Poststed.Poststedsnavn
			}
		}
	}
	for _, st := range p.Status {
		if st.ErGjeldende || status == "" {
			status = st.Status
		}
	}
	if name == "" {
		name = "(navn er ikke med i rollen)"
	}
	return
}
