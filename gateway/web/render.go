package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
)

// page is what every template receives.
type page struct {
	Title    string
	Section  string // "konsoll", "portal" or ""
	CSRF     string
	UserName string
	SignedIn bool
	Console  bool
	Employee bool
	Flash    string
	Errors   []fieldError
	Refresh  int // seconds; >0 adds a meta refresh
	Data     any
}

// fieldError is one problem with a form field, for the error summary.
type fieldError struct {
	Field   string // the input's id
	Message string
}

var funcs = template.FuncMap{
	"elementLabel": func(name string) string {
		if e, ok := freg.LookupElement(name); ok {
			return e.Label
		}
		return name
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("02.01.2006 15:04")
	},
	"datep": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Local().Format("02.01.2006 15:04")
	},
	"short": func(s string, n int) string {
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		return string(r[:n]) + "…"
	},
	"join": strings.Join,
	"contains": func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	},
	"purposeLabel": purposeLabel,
	"hasError": func(errs []fieldError, field string) bool {
		for _, e := range errs {
			if e.Field == field {
				return true
			}
		}
		return false
	},
	"errorFor": func(errs []fieldError, field string) string {
		for _, e := range errs {
			if e.Field == field {
				return e.Message
			}
		}
		return ""
	},
	"add":         func(a, b int) int { return a + b },
	"list3":       func() []string { return []string{"search", "citizen-lists", "events"} },
	"statuses":    func() []string { return []string{"bosatt", "utflyttet", "doed", "inaktiv", "aktiv"} },
	"statusLabel": statusLabel,
	"ruleLabel": func(r string) string {
		if l, ok := ruleLabels[r]; ok {
			return l
		}
		return r
	},
}

func purposeLabel(p string) string {
	switch p {
	case "search":
		return "Søk etter personer"
	case "citizen-lists":
		return "Bestille innbyggerlister"
	case "events":
		return "Få varsling om endringer i folkeregisteret"
	}
	return p
}

// parsePages parses every page template together with the layout.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" {
			continue
		}
		t := template.Must(base.Clone())
		pages[strings.TrimSuffix(name, ".html")] = template.Must(t.ParseFS(templateFS, n))
	}
	return pages
}

// render writes page name with status.
func (a *app) render(c *gin.Context, status int, name string, p page) {
	t, ok := a.pages[name]
	if !ok {
		panic("web: no page " + name)
	}
	if s, ok := c.Get(keySession); ok {
		s := s.(*session)
		p.CSRF = s.csrf
		p.SignedIn = s.signedIn()
		p.UserName = s.displayName
		if p.UserName == "" {
			p.UserName = s.userName
		}
		p.Console = s.console
		p.Employee = s.idToken != ""
		if p.Flash == "" {
			p.Flash = s.takeFlash()
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		a.log.Error("render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "Intern feil")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorPage shows a message page.
func (a *app) errorPage(c *gin.Context, status int, title, message string) {
	a.render(c, status, "message", page{Title: title, Data: message})
}

// internal logs err once (never personal data: callers pass store and
// transport errors only) and shows a generic page.
func (a *app) internal(c *gin.Context, what string, err error) {
	a.log.Error("web request failed", "route", c.FullPath(), "what", what, "err", err)
	a.errorPage(c, http.StatusInternalServerError, "Noe gikk galt",
		"En intern feil hindret handlingen. Prøv igjen senere. Feilen er logget.")
}

func redirect(c *gin.Context, to string) { c.Redirect(http.StatusSeeOther, to) }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
