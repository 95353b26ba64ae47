package web_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"folkevakt/store"
)

// chromiumPath finds Debian's chromium; browser tests skip without it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("chromium is not installed (make test-deps installs it); skipping browser tests")
	return ""
}

// newChrome starts a headless Chromium with a fresh profile.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// shot saves a full-page screenshot: into docs/screenshots when
// FOLKEVAKT_UPDATE_SCREENSHOTS is set, else into the test's temp dir.
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	// Quality 100 makes Chromium produce PNG.
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func bodyText(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatalf("read page: %v", err)
	}
	return s
}

// TestBrowserWizardGrantSearchAndList walks the whole story in Chromium:
// a compliance officer creates a role with the wizard and grants it to a
// SCIM group; a member signs in, searches, opens a person (elements outside
// the role and graded addresses absent, the address shown only after "Vis
// gradert adresse"), orders a citizen list and downloads it.
func TestBrowserWizardGrantSearchAndList(t *testing.T) {
	ctx := newChrome(t)
	e := newEnv(t, envOpts{})
	shots := t.TempDir()
	if os.Getenv("FOLKEVAKT_UPDATE_SCREENSHOTS") != "" {
		shots = "../../docs/screenshots"
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u := e.user("kari.nordmann@storevik.kommune.no", "Kari Nordmann")
	e.group("Barnevern saksbehandlere", u.ID)
	ex := register(t).Examples()
	base := e.srv.URL

	// Console (bootstrap path: the organisation's admin token).
	run(t, ctx, "console sign-in",
		chromedp.Navigate(base+"/konsoll"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/konsoll/roller/ny"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/konsoll/roller/ny"]`)),
		// 1 Informasjon om rollen
		chromedp.WaitVisible(chromedp.CSS("#tjenesteomrade-barnevern")),
		chromedp.Click(chromedp.CSS("#tjenesteomrade-barnevern")),
		chromedp.SendKeys(chromedp.CSS("#navn"), "Saksbehandling barnevern"),
		chromedp.SendKeys(chromedp.CSS("#beskrivelse"), "Oppslag for saksbehandlere i barnevernet"),
		chromedp.Click(chromedp.CSS(`button.primary`)),
		// 2 Bruksområder
		chromedp.WaitVisible(chromedp.CSS("#bruksomrade-citizen-lists")),
		chromedp.Click(chromedp.CSS("#bruksomrade-citizen-lists")),
		chromedp.Click(chromedp.CSS(`button.primary`)),
		// 3 Opplysninger
		chromedp.WaitVisible(chromedp.CSS("#element-navn")),
	)
	for _, el := range []string{"navn", "foedsel", "bostedsadresse", "adressebeskyttelse", "status"} {
		run(t, ctx, "choose "+el, chromedp.Click(chromedp.CSS("#element-"+el)))
	}
	fixedDisabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("element-identifikasjonsnummer").disabled && document.getElementById("element-identifikasjonsnummer").checked`))
	if err != nil || !fixedDisabled {
		t.Fatal("fødselsnummer is not fixed in step 3")
	}
	shot(t, ctx, shots, "wizard-step3")
	run(t, ctx, "steps 3–5",
		chromedp.Click(chromedp.CSS(`button.primary`)),
		chromedp.WaitVisible(chromedp.CSS("#graderte-hide")),
		chromedp.Click(chromedp.CSS(`button.primary`)),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Opprett rolle")]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Opprett rolle")]`)),
		// 6 Tilganger: grant to the SCIM group
		chromedp.WaitVisible(chromedp.CSS("#gruppe")),
		chromedp.SetValue(chromedp.CSS("#gruppe"), groupID(t, e, "Barnevern saksbehandlere")),
		chromedp.Click(chromedp.Search(`//button[contains(., "Gi tilgang til gruppe")]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Tilgangen har blitt lagt til rollen")]`)),
		chromedp.Navigate(base+"/konsoll"),
		chromedp.WaitVisible(chromedp.CSS("table.table")),
	)
	if page := bodyText(t, ctx); !strings.Contains(page, "Saksbehandling barnevern") || !strings.Contains(page, "1 gruppe") {
		t.Fatalf("role overview lacks the new role and its grant")
	}
	shot(t, ctx, shots, "role-overview")
	run(t, ctx, "create integration",
		chromedp.Navigate(base+"/konsoll/integrasjoner/ny"),
		chromedp.WaitVisible(chromedp.CSS("#navn")),
		chromedp.SendKeys(chromedp.CSS("#navn"), "Integrasjon til Fagsystem NN"),
		chromedp.SendKeys(chromedp.CSS("#orgnr"), orgNumber),
		chromedp.SendKeys(chromedp.CSS("#beskrivelse"), "Gir Fagsystem NN tilgang til folkeregisteropplysninger"),
		chromedp.Click(chromedp.CSS(`button.primary`)),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Opprett og generer passord")]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Opprett og generer passord")]`)),
		chromedp.WaitVisible(chromedp.CSS("#integrasjon-passord")),
	)
	shot(t, ctx, shots, "integration-created")
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`button.link`)), chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Du er logget ut")]`)))

	// Portal: the group member signs in with the dev picker.
	run(t, ctx, "portal sign-in",
		chromedp.Navigate(base+"/portal"),
		chromedp.WaitVisible(chromedp.Search(`//label[contains(., "Kari Nordmann")]`)),
		chromedp.Click(chromedp.Search(`//label[contains(., "Kari Nordmann")]`)),
		chromedp.Click(chromedp.CSS(`button.primary`)),
		chromedp.WaitVisible(chromedp.CSS("#fnr")),
	)
	surname := ""
	for _, n := range e.person(ex.Ordinary).Navn {
		if n.ErGjeldende {
			surname = n.Etternavn
		}
	}
	run(t, ctx, "search by name",
		chromedp.SendKeys(chromedp.CSS("#navn"), surname),
		chromedp.Click(chromedp.Search(`//button[contains(., "Søk etter personer")]`)),
		chromedp.WaitVisible(chromedp.CSS(".results")),
	)
	shot(t, ctx, shots, "portal-search")
	run(t, ctx, "search by number",
		chromedp.Navigate(base+"/portal/sok"),
		chromedp.WaitVisible(chromedp.CSS("#fnr")),
		chromedp.SendKeys(chromedp.CSS("#fnr"), ex.Fortrolig),
		chromedp.Click(chromedp.Search(`//button[contains(., "Søk etter personer")]`)),
		chromedp.WaitVisible(chromedp.CSS("article.document")),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, ex.Fortrolig) {
		t.Fatalf("identity number in the URL %s", loc)
	}
	page := bodyText(t, ctx)
	for _, absent := range []string{`data-element="bostedsadresse"`, `data-element="sivilstand"`, `data-element="statsborgerskap"`, `data-element="familierelasjon"`} {
		if strings.Contains(page, absent) {
			t.Errorf("person page shows %s before any reveal", absent)
		}
	}
	if !strings.Contains(page, `data-element="navn"`) {
		t.Error("person page lacks navn")
	}
	run(t, ctx, "reveal graded address",
		chromedp.Click(chromedp.CSS("#vis-gradert")),
		chromedp.WaitVisible(chromedp.CSS(`[data-element="bostedsadresse"]`)),
	)
	if rec := lastAudit(t, e); !rec.GradedRevealed || rec.SubjectID != u.ID {
		t.Fatalf("reveal not audited: %+v", rec)
	}
	// A person page of an ordinary resident, for the docs.
	run(t, ctx, "ordinary person",
		chromedp.Navigate(base+"/portal/sok"),
		chromedp.WaitVisible(chromedp.CSS("#fnr")),
		chromedp.SendKeys(chromedp.CSS("#fnr"), ex.Ordinary),
		chromedp.Click(chromedp.Search(`//button[contains(., "Søk etter personer")]`)),
		chromedp.WaitVisible(chromedp.CSS("article.document")),
	)
	shot(t, ctx, shots, "person")

	// Citizen list: order, follow progress, download.
	dl := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	run(t, ctx, "order list",
		chromedp.Navigate(base+"/portal/lister"),
		chromedp.WaitVisible(chromedp.CSS("#kommune")),
		chromedp.SendKeys(chromedp.CSS("#kommune"), kommunenr),
		chromedp.SendKeys(chromedp.CSS("#fraAlder"), "80"),
		chromedp.Click(chromedp.CSS("#kol-navn")),
		chromedp.Click(chromedp.CSS("#kol-foedsel")),
		chromedp.Click(chromedp.Search(`//button[contains(., "Bestill innbyggerliste")]`)),
		chromedp.WaitVisible(chromedp.CSS("#liste-status")),
	)
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(bodyText(t, ctx), `id="last-ned"`) {
		if time.Now().After(deadline) {
			t.Fatalf("list not done in time:\n%s", bodyText(t, ctx))
		}
		time.Sleep(500 * time.Millisecond)
	}
	run(t, ctx, "download", chromedp.Click(chromedp.CSS("#last-ned")))
	var file []byte
	for deadline = time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		entries, _ := os.ReadDir(dl)
		for _, en := range entries {
			if !strings.HasSuffix(en.Name(), ".crdownload") {
				b, _ := os.ReadFile(filepath.Join(dl, en.Name()))
				if len(b) > 0 {
					file = b
				}
			}
		}
		if file != nil {
			break
		}
	}
	if !bytes.HasPrefix(file, []byte("PK")) {
		t.Fatalf("downloaded file is not an xlsx (%d bytes)", len(file))
	}
}

func groupID(t *testing.T, e *env, name string) string {
	t.Helper()
	pg, err := e.tenant.ListGroups(context.Background(), store.ListQuery{Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range pg.Items {
		if g.DisplayName == name {
			return g.ID
		}
	}
	t.Fatalf("no group %s", name)
	return ""
}
