package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"folkevakt/store"
)

// Benchmark sizes come from the environment so that the full targets can be
// run on demand (see the figures in the package's closing note):
//
//	SCIM_BENCH_USERS=100000 go test -run '^$' -bench Provision -benchtime 1x ./scim
//	  (5,000 groups and 500,000 memberships follow from users/20 and users*5)
//	SCIM_BENCH_USERS=100000 go test -run '^$' -bench UserNameFilter ./scim
//	SCIM_BENCH_MEMBERS=50000 go test -run '^$' -bench PatchAddMember ./scim
func benchSize(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("%s=%q", name, v)
		}
		return n
	}
	return def
}

const (
	benchClients    = 4
	membersPerPatch = 10 // Entra batches member adds into group PATCHes
)

// send is a request from a benchmark goroutine (no Fatal there).
func (e *env) send(method, path, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

// parallel runs n jobs on benchClients goroutines; a job returns an error
// to stop the benchmark.
func parallel(b *testing.B, n int, job func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchClients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := job(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

func (e *env) post(path, body string) (string, error) {
	status, raw, err := e.send(http.MethodPost, path, body)
	if err != nil || status != http.StatusCreated {
		return "", fmt.Errorf("POST %s: %d %s %v", path, status, raw, err)
	}
	var r struct{ ID string }
	return r.ID, json.Unmarshal(raw, &r)
}

// BenchmarkProvision provisions users, groups and memberships the way Entra
// does, over HTTP with 4 clients, into a fresh SQLite file per iteration.
func BenchmarkProvision(b *testing.B) {
	users := benchSize(b, "SCIM_BENCH_USERS", 2000)
	groups := max(1, users/20)
	memberships := users * 5
	var elapsed time.Duration
	var requests, runs int
	for b.Loop() {
		runs++
		b.StopTimer()
		e := newEnv(b)
		b.StartTimer()
		start := time.Now()
		userIDs := make([]string, users)
		parallel(b, users, func(i int) error {
			var err error
			userIDs[i], err = e.post("/Users", entraCreateUser(fmt.Sprintf("user%06d@kommune.no", i), fmt.Sprintf("ext-%06d", i)))
			return err
		})
		groupIDs := make([]string, groups)
		parallel(b, groups, func(i int) error {
			var err error
			groupIDs[i], err = e.post("/Groups", fmt.Sprintf(`{"schemas": [%q, %q], "displayName": "group %05d", "externalId": "g-%05d"}`,
				"urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group", i, i))
			return err
		})
		// Membership k joins user k%users to group k/ (memberships/groups).
		perGroup := memberships / groups
		patches := memberships / membersPerPatch
		parallel(b, patches, func(p int) error {
			var values []string
			for k := p * membersPerPatch; k < (p+1)*membersPerPatch; k++ {
				values = append(values, fmt.Sprintf(`{"value": %q}`, userIDs[k%users]))
			}
			g := groupIDs[min(p*membersPerPatch/perGroup, groups-1)]
			status, raw, err := e.send(http.MethodPatch, "/Groups/"+g, patchOp(`{"op": "Add", "path": "members", "value": [`+strings.Join(values, ",")+`]}`))
			if err != nil || status != http.StatusNoContent {
				return fmt.Errorf("PATCH: %d %s %v", status, raw, err)
			}
			return nil
		})
		elapsed += time.Since(start)
		requests += users + groups + patches
	}
	// An operation is one user, group or membership provisioned.
	b.ReportMetric(float64(requests)/elapsed.Seconds(), "requests/s")
	b.ReportMetric(float64(runs*memberships)/elapsed.Seconds(), "memberships/s")
	b.ReportMetric(float64(runs*(users+groups+memberships))/elapsed.Seconds(), "ops/s")
}

// p99 reports the 99th percentile of durations.
func p99(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds()), "p99-ns")
}

// seedUsers creates n users directly in the store (the lookup, not the
// creation, is measured) and returns their ids.
func seedUsers(b *testing.B, e *env, n int) []string {
	ctx := store.WithActor(context.Background(), "scim:bench")
	ids := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("user%06d@kommune.no", i)
		u, err := e.tenant.CreateUser(ctx, store.User{UserName: name, Active: true,
			Attributes: json.RawMessage(`{"userName":"` + name + `","active":true}`)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
	}
	return ids
}

// BenchmarkUserNameFilter measures Entra's match lookup over HTTP.
func BenchmarkUserNameFilter(b *testing.B) {
	users := benchSize(b, "SCIM_BENCH_USERS", 10000)
	e := newEnv(b)
	seedUsers(b, e, users)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("USER%06d@kommune.no", (i*7919)%users)
		i++
		start := time.Now()
		status, raw, err := e.send(http.MethodGet, "/Users?filter="+q(`userName eq "`+name+`"`), "")
		lat = append(lat, time.Since(start))
		if err != nil || status != http.StatusOK || !strings.Contains(string(raw), `"totalResults":1`) {
			b.Fatalf("%d %s %v", status, raw, err)
		}
	}
	p99(b, lat)
}

// BenchmarkPatchAddMember measures a PATCH adding one member to a large
// group; the member is taken out again outside the timer.
func BenchmarkPatchAddMember(b *testing.B) {
	members := benchSize(b, "SCIM_BENCH_MEMBERS", 50000)
	e := newEnv(b)
	ids := seedUsers(b, e, members+1)
	ctx := store.WithActor(context.Background(), "scim:bench")
	g, err := e.tenant.CreateGroup(ctx, store.Group{DisplayName: "big", Attributes: json.RawMessage(`{"displayName":"big"}`)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for chunk := range slices.Chunk(ids[:members], 5000) {
		if _, err := e.tenant.AddMembers(ctx, g.ID, chunk); err != nil {
			b.Fatal(err)
		}
	}
	extra := ids[members]
	body := patchOp(`{"op": "Add", "path": "members", "value": [{"value": "` + extra + `"}]}`)
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		status, raw, err := e.send(http.MethodPatch, "/Groups/"+g.ID, body)
		lat = append(lat, time.Since(start))
		if err != nil || status != http.StatusNoContent {
			b.Fatalf("%d %s %v", status, raw, err)
		}
		b.StopTimer()
		if _, err := e.tenant.RemoveMembers(ctx, g.ID, []string{extra}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	p99(b, lat)
}
