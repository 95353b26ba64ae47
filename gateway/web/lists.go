package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/lists"
	"folkevakt/store"
)

type listsData struct {
	Role      store.Role
	Templates []lists.Template
	Orders    []store.ListOrder
	Elements  []freg.Element // the role's elements, offered as columns
	Form      listForm
	Message   string
}

type listForm struct {
	Mal, Alder, Referansedato, Foedselsaar              string
	Status                                              []string
	Kommune, FraAar, TilAar, FraAlder, TilAlder, Kjoenn string
	Postnummer, Adressenavn, Format                     string
	Elements                                            []string
}

var reListID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// listsRole returns the chosen role when it may order lists.
func (a *app) listsRole(c *gin.Context) (store.Role, bool) {
	s := sess(c)
	role, _, ok := a.currentRole(s)
	if !ok {
		redirect(c, "/portal?bytt=1")
		return role, false
	}
	if !slices.Contains(role.Purposes, store.PurposeCitizenLists) {
		a.errorPage(c, http.StatusForbidden, "Bestille innbyggerlister",
			"Rollen du har valgt har ikke bruksområdet «Bestille innbyggerlister». Bytt rolle eller be om en rolle som har det.")
		return role, false
	}
	return role, true
}

func (a *app) listsData(c *gin.Context, role store.Role) (listsData, bool) {
	d := listsData{Role: role}
	for _, e := range freg.Elements {
		if slices.Contains(role.Elements, e.Name) && e.Name != freg.ElementHistorikk {
			d.Elements = append(d.Elements, e)
		}
	}
	resp, err := a.callGateway(c, http.MethodGet, rolePath(role.ID, "/innbyggerlister/maler"), nil, nil)
	if err != nil {
		a.internal(c, "list templates", err)
		return d, false
	}
	if resp.Status != http.StatusOK {
		d.Message = "Innbyggerlister er ikke tilgjengelige: " + gatewayMessage(resp)
		return d, true
	}
	_ = json.Unmarshal(resp.Body, &d.Templates)
	resp, err = a.callGateway(c, http.MethodGet, rolePath(role.ID, "/innbyggerlister"), nil, nil)
	if err == nil && resp.Status == http.StatusOK {
		_ = json.Unmarshal(resp.Body, &d.Orders)
		slices.Reverse(d.Orders)
	}
	return d, true
}

func (a *app) listsPage(c *gin.Context) {
	role, ok := a.listsRole(c)
	if !ok {
		return
	}
	d, ok := a.listsData(c, role)
	if !ok {
		return
	}
	d.Form.Format = "xlsx"
	d.Form.Status = []string{"bosatt"}
	a.render(c, http.StatusOK, "lists", page{Title: "Bestille innbyggerlister", Section: "portal", Data: d})
}

func (a *app) listOrder(c *gin.Context) {
	role, ok := a.listsRole(c)
	if !ok {
		return
	}
	f := listForm{
		Mal: c.PostForm("mal"), Alder: strings.TrimSpace(c.PostForm("alder")), Referansedato: c.PostForm("referansedato"),
		Foedselsaar: strings.TrimSpace(c.PostForm("foedselsaar")), Status: c.PostFormArray("personstatus"),
		Kommune: strings.TrimSpace(c.PostForm("kommune")), FraAar: strings.TrimSpace(c.PostForm("fraAar")),
		TilAar: strings.TrimSpace(c.PostForm("tilAar")), FraAlder: strings.TrimSpace(c.PostForm("fraAlder")),
		TilAlder: strings.TrimSpace(c.PostForm("tilAlder")), Kjoenn: c.PostForm("kjoenn"),
		Postnummer: strings.TrimSpace(c.PostForm("postnummer")), Adressenavn: strings.TrimSpace(c.PostForm("adressenavn")),
		Format: c.PostForm("format"), Elements: c.PostFormArray("element"),
	}
	d, ok := a.listsData(c, role)
	if !ok {
		return
	}
	d.Form = f
	var errs []fieldError
	num := func(field, v, msg string) *int {
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fieldError{field, msg})
			return nil
		}
		return &n
	}
	req := map[string]any{"format": f.Format}
	if f.Format != "xlsx" && f.Format != "csv" {
		errs = append(errs, fieldError{"format-xlsx", "Velg filformat."})
	}
	if len(f.Elements) > 0 {
		req["elements"] = f.Elements
	}
	if f.Mal != "" {
		var tpl *lists.Template
		for i := range d.Templates {
			if d.Templates[i].ID == f.Mal {
				tpl = &d.Templates[i]
			}
		}
		if tpl == nil {
			errs = append(errs, fieldError{"mal-egen", "Velg en mal fra listen."})
		} else {
			params := map[string]any{}
			for _, p := range tpl.Parameters {
				switch p.Name {
				case "alder":
					if n := num("alder", f.Alder, "Alder må være et helt tall."); n != nil {
						params["alder"] = *n
					}
				case "foedselsaar":
					if n := num("foedselsaar", f.Foedselsaar, "Fødselsår må være et helt tall."); n != nil {
						params["foedselsaar"] = *n
					}
				case "referansedato":
					if f.Referansedato != "" {
						params["referansedato"] = f.Referansedato
					}
				}
			}
			req["mal"] = f.Mal
			req["parametere"] = params
		}
	} else {
		crit := map[string]any{}
		if len(f.Status) > 0 {
			crit["personstatustyper"] = f.Status
		}
		if f.Kommune != "" {
			crit["kommunenummer"] = map[string]string{"bostedskommunenummer": f.Kommune}
		}
		if n := num("fraAar", f.FraAar, "Fødselsår fra og med må være et årstall."); n != nil {
			crit["foedselsaarFraOgMed"] = *n
		}
		if n := num("tilAar", f.TilAar, "Fødselsår til og med må være et årstall."); n != nil {
			crit["foedselsaarTilOgMed"] = *n
		}
		if n := num("fraAlder", f.FraAlder, "Alder fra og med må være et helt tall."); n != nil {
			crit["alderFraOgMed"] = *n
		}
		if n := num("tilAlder", f.TilAlder, "Alder til og med må være et helt tall."); n != nil {
			crit["alderTilOgMed"] = *n
		}
		if f.Kjoenn != "" {
			crit["kjoenn"] = f.Kjoenn
		}
		if f.Postnummer != "" {
			crit["postnummer"] = strings.Fields(strings.ReplaceAll(f.Postnummer, ",", " "))
		}
		if f.Adressenavn != "" {
			crit["adressenavn"] = f.Adressenavn
		}
		req["criteria"] = crit
	}
	if len(errs) > 0 {
		a.render(c, http.StatusBadRequest, "lists", page{Title: "Bestille innbyggerlister", Section: "portal", Errors: errs, Data: d})
		return
	}
	resp, err := a.callGateway(c, http.MethodPost, rolePath(role.ID, "/innbyggerlister"), nil, req)
	if err != nil {
		a.internal(c, "order list", err)
		return
	}
	if resp.Status != http.StatusAccepted {
		d.Message = gatewayMessage(resp)
		a.render(c, resp.Status, "lists", page{Title: "Bestille innbyggerlister", Section: "portal", Data: d})
		return
	}
	var o store.ListOrder
	if err := json.Unmarshal(resp.Body, &o); err != nil || !reListID.MatchString(o.ID) {
		a.internal(c, "order answer", err)
		return
	}
	sess(c).flash = "Bestillingen er mottatt."
	redirect(c, "/portal/lister/"+o.ID)
}

type listStatusData struct {
	Role    store.Role
	Order   store.ListOrder
	Percent int
	Running bool
	Message string
}

func statusLabel(s string) string {
	switch s {
	case store.OrderQueued:
		return "I kø"
	case store.OrderRunning:
		return "Under arbeid"
	case store.OrderDone:
		return "Ferdig"
	case store.OrderFailed:
		return "Feilet"
	case store.OrderCancelled:
		return "Avbrutt"
	case store.OrderExpired:
		return "Utløpt (filen er slettet)"
	}
	return s
}

func (a *app) listStatus(c *gin.Context) {
	role, ok := a.listsRole(c)
	if !ok {
		return
	}
	id := c.Param("id")
	if !reListID.MatchString(id) {
		a.errorPage(c, http.StatusNotFound, "Fant ikke bestillingen", "Bestillingen finnes ikke.")
		return
	}
	resp, err := a.callGateway(c, http.MethodGet, rolePath(role.ID, "/innbyggerlister/"+id), nil, nil)
	if err != nil {
		a.internal(c, "list status", err)
		return
	}
	d := listStatusData{Role: role}
	if resp.Status != http.StatusOK {
		d.Message = gatewayMessage(resp)
		a.render(c, resp.Status, "liststatus", page{Title: "Innbyggerliste", Section: "portal", Data: d})
		return
	}
	if err := json.Unmarshal(resp.Body, &d.Order); err != nil {
		a.internal(c, "list status answer", err)
		return
	}
	d.Running = d.Order.Status == store.OrderQueued || d.Order.Status == store.OrderRunning
	if d.Order.Total > 0 {
		d.Percent = d.Order.Done * 100 / d.Order.Total
	}
	if d.Order.Status == store.OrderDone {
		d.Percent = 100
	}
	p := page{Title: "Innbyggerliste", Section: "portal", Data: d}
	if d.Running {
		p.Refresh = 2
	}
	a.render(c, http.StatusOK, "liststatus", p)
}

// listFile streams the gateway's file (the gateway audits the download).
func (a *app) listFile(c *gin.Context) {
	role, ok := a.listsRole(c)
	if !ok {
		return
	}
	id := c.Param("id")
	if !reListID.MatchString(id) {
		a.errorPage(c, http.StatusNotFound, "Fant ikke filen", "Bestillingen finnes ikke.")
		return
	}
	resp, err := a.callGateway(c, http.MethodGet, rolePath(role.ID, "/innbyggerlister/"+id+"/fil"), nil, nil)
	if err != nil {
		a.internal(c, "list file", err)
		return
	}
	if resp.Status != http.StatusOK {
		a.errorPage(c, resp.Status, "Filen kan ikke lastes ned", gatewayMessage(resp))
		return
	}
	for _, h := range []string{"Content-Disposition", "Content-Type"} {
		if v := resp.Header.Get(h); v != "" {
			c.Header(h, v)
		}
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, resp.Header.Get("Content-Type"), resp.Body)
}
