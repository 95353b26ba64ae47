package lists

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
	"folkevakt/store"
)

func orderVia(t *testing.T, f *fixture, who Caller, body any) store.ListOrder {
	t.Helper()
	w := do(t, f.router(who), http.MethodPost, "/folkeregister/api/v1/"+who.Role.ID+"/innbyggerlister", body)
	if w.Code != http.StatusAccepted {
		t.Fatalf("order: %d %s", w.Code, w.Body)
	}
	var o store.ListOrder
	if err := json.Unmarshal(w.Body.Bytes(), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func download(t *testing.T, f *fixture, who Caller, id string) []byte {
	t.Helper()
	w := do(t, f.router(who), http.MethodGet, "/folkeregister/api/v1/"+who.Role.ID+"/innbyggerlister/"+id+"/fil", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("download: %d %s", w.Code, w.Body)
	}
	return w.Body.Bytes()
}

func xlsxRows(t *testing.T, data []byte) map[string][][]string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	out := map[string][][]string{}
	for _, s := range x.GetSheetList() {
		rows, err := x.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		out[s] = rows
	}
	return out
}

func ageOnDate(birth string, ref time.Time) int {
	b, _ := time.Parse(time.DateOnly, birth)
	return ageOn(b, ref)
}

func bostedKommune(p *freg.Person) string {
	if len(p.Bostedsadresse) == 0 {
		return ""
	}
	b := p.Bostedsadresse[0]
	switch {
	case b.Vegadresse != nil:
		return b.Vegadresse.Kommunenummer
	case b.Matrikkeladresse != nil:
		return b.Matrikkeladresse.Matrikkelnummer.Kommunenummer
	case b.UkjentBosted != nil:
		return b.UkjentBosted.Bostedskommune
	}
	return ""
}

// gradering is the person's grading, or the grading of its address
// (klientadresse) when the person level is ugradert.
func gradering(p *freg.Person) string {
	if len(p.Adressebeskyttelse) > 0 && p.Adressebeskyttelse[0].Graderingsnivaa != freg.GraderingUgradert {
		return p.Adressebeskyttelse[0].Graderingsnivaa
	}
	if len(p.Bostedsadresse) > 0 && p.Bostedsadresse[0].Adressegradering != "" {
		return p.Bostedsadresse[0].Adressegradering
	}
	return freg.GraderingUgradert
}

// TestListMatchesBruteForce orders a vaccination-style list through the
// HTTP API in both formats and compares every row and column with a
// selection made independently over the whole register.
func TestListMatchesBruteForce(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	who := f.caller(f.role)
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	body := map[string]any{"criteria": map[string]any{"alderFraOgMed": 67, "referansedato": "2026-01-01"},
		"elements": []string{"navn", "foedsel", "bostedsadresse"}, "format": "xlsx"}

	people := map[string]*freg.Person{}
	want := map[string]bool{}
	for _, p := range f.everyone() {
		id := p.Identifikasjonsnummer[0].FoedselsEllerDNummer
		people[id] = p
		if p.Status[0].Status == "bosatt" && len(p.Foedsel) > 0 && ageOnDate(p.Foedsel[0].Foedselsdato, ref) >= 67 &&
			bostedKommune(p) == "0301" {
			want[id] = true
		}
	}
	if len(want) < 50 {
		t.Fatalf("population too small for the test: %d expected rows", len(want))
	}

	o := orderVia(t, f, who, body)
	if o = f.wait(o.ID); o.Status != store.OrderDone {
		t.Fatalf("status %s: %s", o.Status, o.Error)
	}
	sheets := xlsxRows(t, download(t, f, who, o.ID))
	rows := sheets["Innbyggerliste"]
	if len(sheets) != 1 || rows == nil {
		t.Fatalf("sheets: %v", slices.Collect(func(yield func(string) bool) {
			for k := range sheets {
				yield(k)
			}
		}))
	}
	header := []string{"Fødselsnummer", "Fornavn", "Mellomnavn", "Etternavn", "Fødselsdato", "Adresse", "Postnummer", "Poststed", "Kommunenummer", "Flyttedato"}
	if !slices.Equal(rows[0], header) {
		t.Fatalf("header %q, want %q", rows[0], header)
	}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		id := r[0]
		if got[id] {
			t.Fatalf("row %s twice", id)
		}
		got[id] = true
		p := people[id]
		if p == nil {
			t.Fatalf("row %s is nobody", id)
		}
		// Strengt fortrolig persons carry no address in their document, so
		// the brute force cannot place them; FREG's uttrekk can.
		if !want[id] && gradering(p) != freg.GraderingStrengtFortrolig {
			t.Errorf("row %s should not be in the list", id)
		}
		r = append(r, make([]string, len(header)-len(r))...)
		n := p.Navn[0]
		if r[1] != n.Fornavn || r[2] != n.Mellomnavn || r[3] != n.Etternavn {
			t.Errorf("row %s name %q, want %v", id, r[1:4], n)
		}
		b, _ := time.Parse(time.DateOnly, p.Foedsel[0].Foedselsdato)
		if r[4] != b.Format("02.01.2006") {
			t.Errorf("row %s Fødselsdato %q, want date %s", id, r[4], b.Format("02.01.2006"))
		}
		if gradering(p) != freg.GraderingUgradert {
			if strings.Join(r[5:], "") != "" {
				t.Errorf("graded person %s has address cells %q", id, r[5:])
			}
		} else if a := bostedAddress(&p.Bostedsadresse[0]); r[5] != a.line || r[6] != a.postnummer || r[8] != "0301" {
			t.Errorf("row %s address %q, want %+v", id, r[5:9], a)
		}
	}
	for id := range want {
		if !got[id] {
			t.Errorf("%s missing from the list", id)
		}
	}
	if o.Rows != len(rows)-1 || o.Done != o.Total || o.Total < o.Rows {
		t.Errorf("order rows %d done %d total %d, file has %d", o.Rows, o.Done, o.Total, len(rows)-1)
	}

	// The same list as CSV: BOM, ';' between fields (Norwegian Excel), the
	// same header and rows, ISO dates.
	body["format"] = "csv"
	oc := f.wait(orderVia(t, f, who, body).ID)
	data := download(t, f, who, oc.ID)
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Fatal("CSV has no UTF-8 byte-order mark")
	}
	rd := csv.NewReader(bytes.NewReader(data[3:]))
	rd.Comma = ';'
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], header) || len(recs) != len(rows) {
		t.Fatalf("CSV header %q, %d rows; xlsx %d rows", recs[0], len(recs), len(rows))
	}
	for i, r := range recs[1:] {
		b, _ := time.Parse(time.DateOnly, people[r[0]].Foedsel[0].Foedselsdato)
		if r[0] != rows[i+1][0] || r[4] != b.Format(time.DateOnly) {
			t.Fatalf("CSV row %d = %q", i+1, r[:5])
		}
	}

	// Audit: the order with its criteria, every person written, the end and
	// each download.
	counts := map[string]int{}
	persons := 0
	for _, a := range f.audit {
		counts[a.Action]++
		if a.Action == ActionListPersons && a.Reason == "order "+o.ID {
			persons += len(a.Persons)
		}
	}
	if counts[ActionListOrder] != 2 || counts[ActionListDone] != 2 || counts[ActionListDownload] != 2 || persons != o.Rows {
		t.Errorf("audit actions %v, %d persons audited for %d rows", counts, persons, o.Rows)
	}
}

// TestSheetSwitch lowers the sheet size to see lists continue on new sheets.
func TestSheetSwitch(t *testing.T) {
	f := newFixture(t, fixtureOpts{opts: func(o *Options) { o.SheetRows = 11 }})
	who := f.caller(f.role)
	o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{"foedselsaarFraOgMed": 2015, "foedselsaarTilOgMed": 2016},
		"elements": []string{"navn"}, "format": "xlsx"}).ID)
	if o.Status != store.OrderDone || o.Rows < 25 {
		t.Fatalf("status %s rows %d %s", o.Status, o.Rows, o.Error)
	}
	sheets := xlsxRows(t, download(t, f, who, o.ID))
	wantSheets := (o.Rows + 9) / 10
	if len(sheets) != wantSheets {
		t.Fatalf("%d sheets for %d rows, want %d", len(sheets), o.Rows, wantSheets)
	}
	total := 0
	for n := 1; n <= wantSheets; n++ {
		rows := sheets[sheetName(n)]
		if rows[0][0] != "Fødselsnummer" || len(rows) > 11 || (n < wantSheets && len(rows) != 11) {
			t.Fatalf("sheet %d: %d rows, header %q", n, len(rows), rows[0])
		}
		total += len(rows) - 1
	}
	if total != o.Rows {
		t.Fatalf("%d rows over the sheets, order says %d", total, o.Rows)
	}
}

// TestBadInput: every refusal is a 400 naming the field, and nothing is
// stored or audited.
func TestBadInput(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 300, noStart: true})
	narrow := f.createRole([]string{store.PurposeCitizenLists}, []string{"identifikasjonsnummer", "navn", "status", "bostedsadresse"})
	cases := []struct {
		name string
		role store.Role
		body string
		want string
	}{
		{"unknown criterion", f.role, `{"criteria":{"alder":5},"format":"xlsx"}`, "alder"},
		{"unknown nested", f.role, `{"criteria":{"kommunenummer":{"fylke":"03"}},"format":"xlsx"}`, "fylke"},
		{"unknown top-level", f.role, `{"criteria":{},"format":"xlsx","sortering":"navn"}`, "sortering"},
		{"years reversed", f.role, `{"criteria":{"foedselsaarFraOgMed":2000,"foedselsaarTilOgMed":1990},"format":"xlsx"}`, "foedselsaarFraOgMed"},
		{"ages reversed", f.role, `{"criteria":{"alderFraOgMed":70,"alderTilOgMed":60},"format":"xlsx"}`, "alderFraOgMed"},
		{"age vs year", f.role, `{"criteria":{"alderFraOgMed":70,"foedselsaarFraOgMed":2000,"referansedato":"2026-01-01"},"format":"xlsx"}`, "alderFraOgMed"},
		{"negative age", f.role, `{"criteria":{"alderTilOgMed":-1},"format":"xlsx"}`, "alderTilOgMed"},
		{"death without doed", f.role, `{"criteria":{"doedsaarFraOgMed":2020},"format":"xlsx"}`, "doedsaarFraOgMed"},
		{"bad date", f.role, `{"criteria":{"referansedato":"01.01.2026"},"format":"xlsx"}`, "referansedato"},
		{"both kommune kinds", f.role, `{"criteria":{"kommunenummer":{"bostedskommunenummer":"0301","oppholdskommunenummer":"0301"}},"format":"xlsx"}`, "kommunenummer"},
		{"bad kjoenn", f.role, `{"criteria":{"kjoenn":"k"},"format":"xlsx"}`, "kjoenn"},
		{"bad sivilstand", f.role, `{"criteria":{"sivilstandstype":"samboer"},"format":"xlsx"}`, "sivilstandstype"},
		{"bad postnummer", f.role, `{"criteria":{"postnummer":["150"]},"format":"xlsx"}`, "postnummer"},
		{"short adressenavn", f.role, `{"criteria":{"adressenavn":"St"},"format":"xlsx"}`, "adressenavn"},
		{"bad format", f.role, `{"criteria":{},"format":"pdf"}`, "format"},
		{"unknown element", f.role, `{"criteria":{},"elements":["skostoerrelse"],"format":"csv"}`, "skostoerrelse"},
		{"element not for lists", f.role, `{"criteria":{},"elements":["falskIdentitet"],"format":"csv"}`, "falskIdentitet"},
		{"unknown template", f.role, `{"mal":"valgkort","format":"csv"}`, "mal"},
		{"template parameter missing", f.role, `{"mal":"vaksinasjonsliste","format":"csv"}`, "alder"},
		{"template unknown parameter", f.role, `{"mal":"skolestartere","parametere":{"foedselsaar":2020,"klasse":1},"format":"csv"}`, "klasse"},
		{"wrong type", f.role, `{"criteria":{"alderFraOgMed":"67"},"format":"csv"}`, "alderFraOgMed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, f.router(f.caller(tc.role)), http.MethodPost, "/folkeregister/api/v1/"+tc.role.ID+"/innbyggerlister", tc.body)
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.want) {
				t.Fatalf("%d %s, want 400 naming %s", w.Code, w.Body, tc.want)
			}
		})
	}
	// Whatever the criteria or elements touch outside the role is refused
	// exactly as in a lookup (issue 12): filtering on a value reveals it.
	refused := []struct {
		name, body, code, element string
	}{
		{"foreign kommune", `{"criteria":{"kommunenummer":{"bostedskommunenummer":"4601"}},"format":"xlsx"}`, "kommune-not-served", "4601"},
		{"element outside role", `{"criteria":{},"elements":["navn","kjoenn"],"format":"csv"}`, "element-not-in-role", "kjoenn"},
		{"age filter outside role", `{"criteria":{"alderFraOgMed":67},"elements":["navn"],"format":"csv"}`, "element-not-in-role", "foedsel"},
		{"sivilstand filter", `{"criteria":{"sivilstandstype":"gift"},"elements":["navn"],"format":"csv"}`, "element-not-in-role", "sivilstand"},
		{"kjoenn filter", `{"criteria":{"kjoenn":"kvinne"},"elements":["navn"],"format":"csv"}`, "element-not-in-role", "kjoenn"},
		{"statsborgerskap filter", `{"criteria":{"statsborgerskap":"SWE"},"elements":["navn"],"format":"csv"}`, "element-not-in-role", "statsborgerskap"},
		{"doedsaar filter", `{"criteria":{"personstatustyper":["doed"],"doedsaarFraOgMed":2020},"elements":["navn"],"format":"csv"}`, "element-not-in-role", "doedsfall"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, f.router(f.caller(narrow)), http.MethodPost, "/folkeregister/api/v1/"+narrow.ID+"/innbyggerlister", tc.body)
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"errorCode":"`+tc.code+`"`) || !strings.Contains(w.Body.String(), tc.element) {
				t.Fatalf("%d %s, want 403 %s naming %s", w.Code, w.Body, tc.code, tc.element)
			}
		})
	}
	orders, err := f.st.Tenant(f.org.ID).ListListOrders(f.ctx, store.ListOrderQuery{})
	if err != nil || len(orders) != 0 {
		t.Fatalf("bad input left %d orders (%v)", len(orders), err)
	}
	// Every refusal is audited as a denial (issue 12).
	if len(f.audit) != len(cases)+len(refused) {
		t.Fatalf("%d audit records for %d refusals", len(f.audit), len(cases)+len(refused))
	}
	for _, r := range f.audit {
		if r.Decision != store.DecisionDeny || r.Action != ActionListOrder || r.Status < 400 {
			t.Fatalf("refusal audited as %+v", r)
		}
	}
	noPurpose := f.createRole([]string{store.PurposeSearch}, allListElements)
	w := do(t, f.router(f.caller(noPurpose)), http.MethodPost, "/folkeregister/api/v1/"+noPurpose.ID+"/innbyggerlister", `{"criteria":{},"format":"csv"}`)
	if w.Code != http.StatusForbidden {
		t.Fatalf("role without citizen-lists: %d %s", w.Code, w.Body)
	}
}

// TestSkolestartere orders the template and checks the parents' columns
// against the children's foreldreansvar.
func TestSkolestartere(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	who := f.caller(f.role)
	w := do(t, f.router(who), http.MethodGet, "/folkeregister/api/v1/"+who.Role.ID+"/innbyggerlister/maler", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Vaksinasjonsliste") || !strings.Contains(w.Body.String(), "Skolestartere") {
		t.Fatalf("maler: %d %s", w.Code, w.Body)
	}
	o := f.wait(orderVia(t, f, who, map[string]any{"mal": "skolestartere", "parametere": map[string]any{"foedselsaar": 2020}, "format": "xlsx"}).ID)
	if o.Status != store.OrderDone || o.Rows == 0 {
		t.Fatalf("status %s rows %d %s", o.Status, o.Rows, o.Error)
	}
	rows := xlsxRows(t, download(t, f, who, o.ID))["Innbyggerliste"]
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"Foreldreansvar", "Foreldreansvarlig 1 fødselsnummer", "Foreldreansvarlig 1 etternavn", "Foreldreansvarlig 2 adresse"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("no column %q in %q", h, rows[0])
		}
	}
	people := map[string]*freg.Person{}
	for _, p := range f.everyone() {
		people[p.Identifikasjonsnummer[0].FoedselsEllerDNummer] = p
	}
	withParents := 0
	for _, r := range rows[1:] {
		r = append(r, make([]string, len(rows[0])-len(r))...)
		kid := people[r[0]]
		if !strings.HasPrefix(kid.Foedsel[0].Foedselsdato, "2020-") {
			t.Fatalf("%s born %s", r[0], kid.Foedsel[0].Foedselsdato)
		}
		for k, fa := range kid.Foreldreansvar {
			if k >= maxParents {
				break
			}
			pre := fmt.Sprintf("Foreldreansvarlig %d ", k+1)
			if r[col[pre+"fødselsnummer"]] != fa.Ansvarlig {
				t.Fatalf("%s parent %d = %q, want %s", r[0], k+1, r[col[pre+"fødselsnummer"]], fa.Ansvarlig)
			}
			if par := people[fa.Ansvarlig]; par != nil && r[col[pre+"etternavn"]] != par.Navn[0].Etternavn {
				t.Fatalf("%s parent %d etternavn %q, want %q", r[0], k+1, r[col[pre+"etternavn"]], par.Navn[0].Etternavn)
			}
			withParents++
		}
	}
	if withParents == 0 {
		t.Fatal("no child with foreldreansvarlige")
	}
	// Every identity number in the file (children and foreldreansvarlige)
	// is named in an audit record (issue 12: the parents were in none).
	audited := map[string]bool{}
	f.mu.Lock()
	for _, a := range f.audit {
		for _, p := range a.Persons {
			audited[p] = true
		}
	}
	f.mu.Unlock()
	for _, r := range rows[1:] {
		for _, cell := range r {
			if len(cell) == 11 && ident.Validate(cell) == nil && !audited[cell] {
				t.Fatalf("%s is in the file but in no audit record", cell)
			}
		}
	}
}

// TestCancelAndCopy cancels a queued order (no workers yet), then copies it.
func TestCancelAndCopy(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 500, noStart: true})
	who := f.caller(f.role)
	h := f.router(who)
	o := orderVia(t, f, who, map[string]any{"criteria": map[string]any{"kjoenn": "kvinne"}, "elements": []string{"kjoenn"}, "format": "csv"})
	base := "/folkeregister/api/v1/" + who.Role.ID + "/innbyggerlister/" + o.ID
	if w := do(t, h, http.MethodPost, base+"/avbryt", nil); w.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if w := do(t, h, http.MethodPost, base+"/avbryt", nil); w.Code != http.StatusConflict {
		t.Fatalf("second cancel: %d", w.Code)
	}
	w := do(t, h, http.MethodPost, base+"/kopi", nil)
	if w.Code != http.StatusAccepted {
		t.Fatalf("copy: %d %s", w.Code, w.Body)
	}
	var cp store.ListOrder
	_ = json.Unmarshal(w.Body.Bytes(), &cp)
	f.start()
	if got := f.wait(cp.ID); got.Status != store.OrderDone || got.Rows == 0 {
		t.Fatalf("copy: %s %d %s", got.Status, got.Rows, got.Error)
	}
	if got := f.wait(o.ID); got.Status != store.OrderCancelled {
		t.Fatalf("cancelled order ran: %s", got.Status)
	}
	if w := do(t, h, http.MethodGet, base+"/fil", nil); w.Code != http.StatusConflict {
		t.Fatalf("file of cancelled order: %d", w.Code)
	}
}

// TestOrgIsolation: another organisation (or another role) never sees an
// order or its file.
func TestOrgIsolation(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 500})
	who := f.caller(f.role)
	o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{}, "format": "csv"}).ID)
	other, err := f.st.CreateOrganisation(f.ctx, store.Organisation{OrgNumber: "971526920", Name: "Annen", Kommunenummer: []string{"0301"}})
	if err != nil {
		t.Fatal(err)
	}
	stranger := who
	stranger.OrgID = other.ID
	otherRole := f.createRole([]string{store.PurposeCitizenLists}, allListElements)
	sameOrgOtherRole := f.caller(otherRole)
	for _, c := range []Caller{stranger, sameOrgOtherRole} {
		for _, p := range []string{"", "/fil"} {
			w := do(t, f.router(c), http.MethodGet, "/folkeregister/api/v1/"+c.Role.ID+"/innbyggerlister/"+o.ID+p, nil)
			if w.Code != http.StatusNotFound {
				t.Fatalf("org %s role %s %q: %d", c.OrgID, c.Role.ID, p, w.Code)
			}
		}
	}
}

// failingClient is the real register that fails the k-th bulkoppslag.
type failingClient struct {
	freg.Client
	calls, failAt int
}

func (c *failingClient) BulkLookup(ctx context.Context, ids, parts []string) ([]freg.BulkResult, error) {
	c.calls++
	if c.calls == c.failAt {
		return nil, fmt.Errorf("%w: 502 from upstream", freg.ErrUpstream)
	}
	return c.Client.BulkLookup(ctx, ids, parts)
}

func listDir(t *testing.T, dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".db") && !strings.Contains(p, ".db-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestFailuresLeaveNoFile: an upstream failure mid-run and a full disk end
// the order as failed with a clear message and no file.
func TestFailuresLeaveNoFile(t *testing.T) {
	t.Run("upstream", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{upstream: func(c freg.Client) freg.Client { return &failingClient{Client: c, failAt: 2} }})
		who := f.caller(f.role)
		o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{}, "format": "xlsx"}).ID)
		if o.Status != store.OrderFailed || !strings.Contains(o.Error, "Folkeregisteret failed") || o.File != "" {
			t.Fatalf("status %s error %q", o.Status, o.Error)
		}
		if files := listDir(t, f.dir); len(files) != 0 {
			t.Fatalf("files left: %v", files)
		}
	})
	t.Run("disk full", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full on this system")
		}
		old := createTemp
		createTemp = func(string) (*os.File, error) { return os.OpenFile("/dev/full", os.O_WRONLY, 0) }
		t.Cleanup(func() { createTemp = old })
		f := newFixture(t, fixtureOpts{})
		who := f.caller(f.role)
		o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{}, "format": "csv"}).ID)
		if o.Status != store.OrderFailed || !strings.Contains(o.Error, "disk is full") {
			t.Fatalf("status %s error %q", o.Status, o.Error)
		}
		if files := listDir(t, f.dir); len(files) != 0 {
			t.Fatalf("files left: %v", files)
		}
	})
}

// TestRestartAndRetention: a running order from before a restart runs again
// from scratch (its partial file removed), and files expire.
func TestRestartAndRetention(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 500, noStart: true})
	who := f.caller(f.role)
	crit, _ := json.Marshal(access.Criteria{})
	o, err := f.st.Tenant(f.org.ID).CreateListOrder(f.ctx, store.ListOrder{RoleID: f.role.ID, SubjectKind: who.SubjectKind,
		SubjectID: who.SubjectID, Criteria: crit, Elements: []string{"identifikasjonsnummer"}, Format: "csv", Status: store.OrderRunning, Done: 40, Total: 90})
	if err != nil {
		t.Fatal(err)
	}
	tmp := f.svc.tempPath(o)
	_ = os.MkdirAll(filepath.Dir(tmp), 0o700)
	// World-readable, as a partial file of an older version may be: the
	// finished list is the owner's only all the same.
	if err := os.WriteFile(tmp, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.start()
	o = f.wait(o.ID)
	if o.Status != store.OrderDone || o.Rows == 0 {
		t.Fatalf("resumed order: %s %q", o.Status, o.Error)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("partial file still there: %v", err)
	}
	path := filepath.Join(f.dir, o.File)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("list file mode: %v %v, want 600", st.Mode(), err)
	}
	f.advance(7*24*time.Hour - time.Minute)
	if err := f.svc.SweepExpired(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("file removed before retention ended: %v", err)
	}
	f.advance(2 * time.Minute)
	if err := f.svc.SweepExpired(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file kept after retention: %v", err)
	}
	got, _ := f.st.Tenant(f.org.ID).GetListOrder(f.ctx, o.ID)
	w := do(t, f.router(who), http.MethodGet, "/folkeregister/api/v1/"+who.Role.ID+"/innbyggerlister/"+o.ID+"/fil", nil)
	if got.Status != store.OrderExpired || w.Code != http.StatusConflict {
		t.Fatalf("after retention: status %s, download %d", got.Status, w.Code)
	}
}

// TestLibreOfficeReadsList converts a list with LibreOffice when installed.
func TestLibreOfficeReadsList(t *testing.T) {
	bin, err := exec.LookPath("libreoffice")
	if err != nil {
		t.Skip("libreoffice is not installed; skipping the LibreOffice conversion check")
	}
	f := newFixture(t, fixtureOpts{n: 500})
	who := f.caller(f.role)
	o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{}, "elements": []string{"navn", "foedsel"}, "format": "xlsx"}).ID)
	dir := t.TempDir()
	in := filepath.Join(dir, "liste.xlsx")
	if err := os.WriteFile(in, download(t, f, who, o.ID), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Filter options 44,34,76: comma, double quote, UTF-8 (LibreOffice's CSV
	// export otherwise writes Windows-1252).
	if out, err := exec.CommandContext(ctx, bin, "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", dir, in).CombinedOutput(); err != nil {
		t.Fatalf("libreoffice: %v %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "liste.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) != o.Rows+1 || recs[0][0] != "Fødselsnummer" {
		t.Fatalf("LibreOffice read %d records (want %d): %v", len(recs), o.Rows+1, err)
	}
}
