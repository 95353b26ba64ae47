package lists

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"folkevakt/store"
)

// zipEntry returns one file of an xlsx package.
func zipEntry(t *testing.T, data []byte, name string) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return string(b)
		}
	}
	t.Fatalf("xlsx has no %s", name)
	return ""
}

// fetchFile downloads an order's file and returns the response.
func fetchFile(t *testing.T, f *fixture, who Caller, id string) (body []byte, header http.Header) {
	t.Helper()
	w := do(t, f.router(who), http.MethodGet, "/folkeregister/api/v1/"+who.Role.ID+"/innbyggerlister/"+id+"/fil", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("download: %d %s", w.Code, w.Body)
	}
	return w.Body.Bytes(), w.Header()
}

// An xlsx list opens ready to read: bold header row that stays in view,
// column widths, an autofilter on every sheet, document properties naming
// folkevakt and the role, and a file name with role and day.
func TestXLSXPresentation(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 500, opts: func(o *Options) { o.SheetRows = 41 }})
	who := f.caller(f.role)
	o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{},
		"elements": []string{"navn", "foedsel", "bostedsadresse"}, "format": "xlsx"}).ID)
	if o.Status != store.OrderDone || o.Rows < 60 {
		t.Fatalf("status %s rows %d %s", o.Status, o.Rows, o.Error)
	}
	data, h := fetchFile(t, f, who, o.ID)
	wantName := DownloadName(who.Role.Name, *o.FinishedAt, FormatXLSX)
	if cd := h.Get("Content-Disposition"); cd != `attachment; filename="`+wantName+`"` || strings.Contains(cd, o.ID) {
		t.Errorf("Content-Disposition %q, want the name %q", cd, wantName)
	}
	if !regexp.MustCompile(`^innbyggerliste-role-[a-z0-9-]+-2026-01-10\.xlsx$`).MatchString(wantName) {
		t.Errorf("file name %q", wantName)
	}
	if ct := h.Get("Content-Type"); ct != ContentType(FormatXLSX) {
		t.Errorf("Content-Type %q", ct)
	}

	core := zipEntry(t, data, "docProps/core.xml")
	for _, want := range []string{"<dc:creator>folkevakt</dc:creator>", "<dc:title>Innbyggerliste – " + who.Role.Name + "</dc:title>",
		"<dc:language>nb-NO</dc:language>", ">2026-01-10T12:00:00Z</dcterms:created>"} {
		if !strings.Contains(core, want) {
			t.Errorf("core properties lack %s: %s", want, core)
		}
	}
	if strings.Contains(core, "xuri") || strings.Contains(core, "2006-09-16") {
		t.Errorf("core properties keep excelize's defaults: %s", core)
	}
	if app := zipEntry(t, data, "docProps/app.xml"); !strings.Contains(app, "<Application>folkevakt</Application>") {
		t.Errorf("app properties: %s", app)
	}

	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) != (o.Rows+39)/40 {
		t.Fatalf("%d sheets for %d rows", len(sheets), o.Rows)
	}
	header, _ := x.GetRows(sheets[0])
	cols := len(header[0])
	adresse := -1
	for i, hd := range header[0] {
		if hd == "Adresse" {
			adresse = i
		}
	}
	if adresse < 0 {
		t.Fatalf("no Adresse column in %q", header[0])
	}
	workbook := zipEntry(t, data, "xl/workbook.xml")
	for n, sheet := range sheets {
		rows, _ := x.GetRows(sheet)
		last, _ := excelize.CoordinatesToCellName(cols, len(rows))
		abs := "$A$1:" + absolute(last)
		if ws := zipEntry(t, data, "xl/worksheets/sheet"+strconv.Itoa(n+1)+".xml"); !strings.Contains(ws, `<autoFilter ref="`+abs+`"`) {
			t.Errorf("sheet %s: no autofilter over %s", sheet, abs)
		}
		if !strings.Contains(workbook, `name="_xlnm._FilterDatabase">&#39;`+sheet+`&#39;!`+abs+`<`) {
			t.Errorf("workbook lacks the filter range of %s", sheet)
		}
		panes, err := x.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("sheet %s: header not frozen: %+v %v", sheet, panes, err)
		}
		for c := 1; c <= cols; c++ {
			ref, _ := excelize.CoordinatesToCellName(c, 1)
			id, _ := x.GetCellStyle(sheet, ref)
			st, err := x.GetStyle(id)
			if err != nil || st.Font == nil || !st.Font.Bold {
				t.Errorf("sheet %s %s: header not bold", sheet, ref)
			}
			name, _ := excelize.ColumnNumberToName(c)
			w, _ := x.GetColWidth(sheet, name)
			if min := float64(len([]rune(header[0][c-1]))); w < min || (c-1 == adresse && w < 30) {
				t.Errorf("sheet %s column %s (%s) width %.1f", sheet, name, header[0][c-1], w)
			}
		}
	}
}

// absolute turns J41 into $J$41.
func absolute(ref string) string {
	i := strings.IndexAny(ref, "0123456789")
	return "$" + ref[:i] + "$" + ref[i:]
}

// LibreOffice, converting a list to OpenDocument, keeps what Excel users
// see: the autofilter, the bold header, the widths and the properties.
func TestLibreOfficeSeesPresentation(t *testing.T) {
	bin, err := exec.LookPath("libreoffice")
	if err != nil {
		t.Skip("libreoffice is not installed; skipping the LibreOffice presentation check")
	}
	f := newFixture(t, fixtureOpts{n: 300})
	who := f.caller(f.role)
	o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{}, "elements": []string{"navn", "bostedsadresse"}, "format": "xlsx"}).ID)
	data, _ := fetchFile(t, f, who, o.ID)
	dir := t.TempDir()
	in := filepath.Join(dir, "liste.xlsx")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "ods", "--outdir", dir, in).CombinedOutput(); err != nil {
		t.Fatalf("libreoffice: %v %s", err, out)
	}
	ods, err := os.ReadFile(filepath.Join(dir, "liste.ods"))
	if err != nil {
		t.Fatal(err)
	}
	last, _ := excelize.CoordinatesToCellName(9, o.Rows+1) // navn 3 + address 4 + Fødselsnummer + Flyttedato
	content := zipEntry(t, ods, "content.xml")
	for _, want := range []string{`table:target-range-address="Innbyggerliste.A1:Innbyggerliste.` + last + `" table:display-filter-buttons="true"`,
		`fo:font-weight="bold"`} {
		if !strings.Contains(content, want) {
			t.Errorf("LibreOffice does not see %s", want)
		}
	}
	if widths := regexp.MustCompile(`style:column-width="([0-9.]+)in"`).FindAllStringSubmatch(content, -1); len(widths) < 4 {
		t.Errorf("LibreOffice sees %d column widths", len(widths))
	}
	if meta := zipEntry(t, ods, "meta.xml"); !strings.Contains(meta, "<dc:creator>folkevakt</dc:creator>") || !strings.Contains(meta, "<dc:language>nb-NO</dc:language>") {
		t.Errorf("LibreOffice reads the properties as %s", meta)
	}
}

// CSV: ';' by default, ',' with csv-comma; both end in .csv.
func TestCSVSeparators(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 300})
	who := f.caller(f.role)
	for _, tc := range []struct {
		format string
		comma  rune
	}{{FormatCSV, ';'}, {FormatCSVComma, ','}} {
		o := f.wait(orderVia(t, f, who, map[string]any{"criteria": map[string]any{},
			"elements": []string{"navn", "bostedsadresse"}, "format": tc.format}).ID)
		if o.Status != store.OrderDone || o.Rows == 0 {
			t.Fatalf("%s: status %s rows %d", tc.format, o.Status, o.Rows)
		}
		data, h := fetchFile(t, f, who, o.ID)
		if !strings.HasSuffix(h.Get("Content-Disposition"), `-2026-01-10.csv"`) || h.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Errorf("%s: headers %v", tc.format, h)
		}
		first, _, _ := strings.Cut(string(data[3:]), "\n")
		if want := "Fødselsnummer" + string(tc.comma) + "Fornavn" + string(tc.comma); !strings.HasPrefix(first, want) {
			t.Errorf("%s: header line %q, want it to start %q", tc.format, first, want)
		}
		rd := csv.NewReader(bytes.NewReader(data[3:]))
		rd.Comma = tc.comma
		recs, err := rd.ReadAll()
		if err != nil || len(recs) != o.Rows+1 || len(recs[0]) < 6 {
			t.Errorf("%s: %d records, %v", tc.format, len(recs), err)
		}
	}
	w := do(t, f.router(who), http.MethodPost, "/folkeregister/api/v1/"+who.Role.ID+"/innbyggerlister",
		`{"criteria":{},"format":"csv;"}`)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "csv-comma") {
		t.Errorf("bad format: %d %s", w.Code, w.Body)
	}
}

func TestDownloadName(t *testing.T) {
	made := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) // 2 March in Norway
	for role, want := range map[string]string{
		"Helsestasjon":                   "innbyggerliste-helsestasjon-2026-03-02.xlsx",
		"Barnevern – saksbehandling (Ø)": "innbyggerliste-barnevern-saksbehandling-o-2026-03-02.xlsx",
		"Skolekontoret på Sørøya":        "innbyggerliste-skolekontoret-pa-soroya-2026-03-02.xlsx",
		"Bæreevne":                       "innbyggerliste-baereevne-2026-03-02.xlsx",
		"«»":                             "innbyggerliste-2026-03-02.xlsx",
		`a"b\c/d`:                        "innbyggerliste-a-b-c-d-2026-03-02.xlsx",
	} {
		if got := DownloadName(role, made, FormatXLSX); got != want {
			t.Errorf("DownloadName(%q) = %q, want %q", role, got, want)
		}
	}
	if got := DownloadName("X", made, FormatCSVComma); got != "innbyggerliste-x-2026-03-02.csv" {
		t.Errorf("csv-comma: %q", got)
	}
}
