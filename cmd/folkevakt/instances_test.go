package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"folkevakt/gateway/auth"
)

// buildOnce builds the folkevakt binary once per test run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "folkevakt-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "folkevakt")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// process is `folkevakt serve` running as a process of its own.
type process struct {
	base   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// startProcess runs the built binary's serve with env on top of the
// test's environment and waits until it listens.
func startProcess(t *testing.T, dir string, env map[string]string) *process {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--population", fmt.Sprint(e2ePopulace),
		"--policy-model", "../../model.conf", "--log-level", "warn")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (http://\S+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	select {
	case p.base = <-listening:
		return p
	case <-p.done:
		t.Fatalf("serve exited: %s", p.stderr.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("serve did not start: %s", p.stderr.String())
	}
	return nil
}

// kill sends sig and waits for the process to end.
func (p *process) kill(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	<-p.done
}

func scimPatch(active bool) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": active}}}
}

// Two folkevakt processes on one PostgreSQL behave as one service: what is
// changed on one (SCIM, admin API, CLI) holds on the other within a second,
// lookups spread over both leave one audit chain with a record per answer,
// and kill -9 of one under load loses no acknowledged write.
func TestTwoProcessesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts two server processes")
	}
	f := newPGFixture(t)
	const adminToken, scimToken = "multi-admin-token-0123456789", "multi-scim-token-0123456789"
	env := map[string]string{"FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN": adminToken, "FOLKEVAKT_BOOTSTRAP_SCIM_TOKEN": scimToken}
	for k, v := range f.bootstrap {
		env[k] = v
	}
	a := startProcess(t, f.dir, env)
	b := startProcess(t, f.dir, env)
	adminH := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	scimH := map[string]string{"Authorization": "Bearer " + scimToken, "Content-Type": "application/scim+json"}
	must := func(want, got int, body []byte, what string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
		}
	}

	// An employee provisioned on A, granted the role on B.
	const oid = "0b6c1f7e-5d2a-4e8b-9c3f-7a1d2e4b6c80"
	code, body := call(t, "POST", a.base+"/scim/v2/Users", scimH, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ola@storevik.kommune.no",
		"externalId": oid, "active": true})
	must(201, code, body, "SCIM create user on A")
	user := decode[struct{ ID string }](t, body)
	code, body = call(t, "POST", b.base+"/admin/api/v1/roles", adminH, map[string]any{
		"name": "Oppslag ansatte", "serviceArea": "stotte", "usage": "web+m2m", "purposes": []string{"search"},
		"elements": []string{"navn"}, "gradedAddresses": "hide"})
	must(201, code, body, "create role on B")
	role := decode[struct{ ID string }](t, body)
	code, body = call(t, "POST", b.base+"/admin/api/v1/roles/"+role.ID+"/grants", adminH, map[string]any{"kind": "user", "subject": user.ID})
	must(201, code, body, "grant on B")
	employeeToken, err := auth.MintEmployeeToken(f.dir, "ola@storevik.kommune.no", oid, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	asEmployee := map[string]string{"Authorization": "Bearer " + employeeToken}
	personURL := func(p *process) string {
		return p.base + "/folkeregister/api/v1/" + role.ID + "/v1/personer/" + f.person + "?part=navn"
	}
	// until polls fn until it holds and returns how long that took.
	until := func(what string, fn func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !fn() {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: not within 5 s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	d := until("grant made on B used on A", func() bool { c, _ := call(t, "GET", personURL(a), asEmployee, nil); return c == 200 })
	t.Logf("grant on B → allowed on A after %s", d.Round(time.Millisecond))

	// Deactivation on A: the next request on B is refused.
	code, body = call(t, "PATCH", a.base+"/scim/v2/Users/"+user.ID, scimH, scimPatch(false))
	must(204, code, body, "SCIM deactivate on A")
	d = until("deactivation on A refused on B", func() bool { c, _ := call(t, "GET", personURL(b), asEmployee, nil); return c == 401 })
	t.Logf("SCIM deactivation on A → refused on B after %s", d.Round(time.Millisecond))
	if d > time.Second {
		t.Errorf("deactivation took %s to reach B, goal ≤ 1 s", d)
	}

	// A grant made with the CLI reaches both.
	code, out, stderr := runOnce(nil, "grants", "create", "--database", f.url, "--org", e2eOrg, "--role", role.ID,
		"--kind", "integration", "--subject", f.integ.ID)
	if code != 0 {
		t.Fatalf("CLI grant: %d %s %s", code, out, stderr)
	}
	token, err := auth.MintMaskinportenToken(f.dir, e2eOrg, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	asMachine := map[string]string{"Authorization": "Bearer " + token, "IntegrasjonId": f.integ.ID, "IntegrasjonPassord": f.password}
	for _, p := range []*process{a, b} {
		d := until("CLI grant used", func() bool { c, _ := call(t, "GET", personURL(p), asMachine, nil); return c == 200 })
		t.Logf("CLI grant → allowed on %s after %s", p.base, d.Round(time.Millisecond))
	}

	// Load on both; kill -9 of B in the middle. Every answered lookup must
	// have its audit record, every acknowledged SCIM write its row.
	var answered atomic.Int64
	var acknowledged sync.Map // userName → SCIM id
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				p := a
				if (w+i)%2 == 1 {
					p = b
				}
				if w == 5 { // one SCIM writer
					name := fmt.Sprintf("load-%d@storevik.kommune.no", i)
					req := newJSONRequest(t, "POST", p.base+"/scim/v2/Users", scimH, map[string]any{
						"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": name, "active": true})
					if resp, err := client.Do(req); err == nil {
						if resp.StatusCode == 201 {
							acknowledged.Store(name, true)
						}
						resp.Body.Close()
					}
					continue
				}
				req, _ := http.NewRequest("GET", personURL(p), nil)
				for k, v := range asMachine {
					req.Header.Set(k, v)
				}
				if resp, err := client.Do(req); err == nil {
					if resp.StatusCode == 200 {
						answered.Add(1)
					}
					resp.Body.Close()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	b.kill(syscall.SIGKILL)
	time.Sleep(1000 * time.Millisecond)
	close(stopLoad)
	wg.Wait()
	a.kill(syscall.SIGTERM)

	code, out, stderr = runOnce(nil, "audit", "verify", "--database", f.url)
	if code != 0 || !strings.Contains(out, "OK, ") {
		t.Fatalf("audit verify after kill -9: %d %q %q", code, out, stderr)
	}
	var records int64
	fmt.Sscanf(out[strings.Index(out, "OK, ")+4:], "%d", &records)
	// Records: the answered load lookups plus the polls above (allowed or
	// refused, all audited); at least one per answered load lookup.
	if records < answered.Load() {
		t.Fatalf("audit holds %d records for %d answered lookups", records, answered.Load())
	}
	t.Logf("load: %d lookups answered, %d audit records in one chain", answered.Load(), records)
	n := 0
	acknowledged.Range(func(k, _ any) bool {
		n++
		if !userExists(t, f.url, k.(string)) {
			t.Errorf("acknowledged SCIM user %s is missing after kill -9", k)
		}
		return true
	})
	if n == 0 {
		t.Fatal("no SCIM write was acknowledged under load")
	}
}

func newJSONRequest(t *testing.T, method, url string, headers map[string]string, body any) *http.Request {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req
}

// userExists reads the shared database directly, as an operator would.
func userExists(t *testing.T, url, userName string) bool {
	st := openPG(t, url)
	defer st.Close()
	o, err := st.GetOrganisationByNumber(context.Background(), e2eOrg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Tenant(o.ID).GetUserByUserName(context.Background(), userName)
	return err == nil
}
