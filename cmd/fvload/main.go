// Command fvload measures what the folkevakt gateway costs. In one run it
// starts `folkevakt fregsim`, a plain httputil.ReverseProxy in front of it and
// `folkevakt serve` (durable audit on) in front of the same fregsim, drives
// single-person lookups with N concurrent clients for a fixed duration
// against each, and prints throughput and p50/p99 for both, their ratio and
// the p99 the gateway adds.
//
//	go run ./cmd/fvload -duration 20s -concurrency 32
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg"
	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

const (
	orgNumber = "974760673"
	kommunenr = "4627"
	fregPath  = "/folkeregisteret/offentlig-med-hjemmel/api"
)

type config struct {
	binary          string
	duration        time.Duration
	warmup          time.Duration
	concurrency     int
	population      int
	upstreamLatency time.Duration
	part            string
	rounds          int
	keep            bool
	database        string
	tmp             string
	split           bool
}

func main() {
	var c config
	flag.StringVar(&c.binary, "folkevakt", "", "folkevakt binary (default: go build ./cmd/folkevakt into a temporary directory)")
	flag.DurationVar(&c.duration, "duration", 15*time.Second, "measured duration per target and round")
	flag.DurationVar(&c.warmup, "warmup", 3*time.Second, "unmeasured warm-up per target")
	flag.IntVar(&c.concurrency, "concurrency", 32, "concurrent clients")
	flag.IntVar(&c.population, "population", 20000, "synthetic population of fregsim")
	flag.DurationVar(&c.upstreamLatency, "upstream-latency", 0, "fregsim delays every answer by this long, like a remote FREG (0: answers at once, the strictest test of the gateway's own cost)")
	flag.StringVar(&c.part, "part", "", "part query value of every lookup (empty: person-basis)")
	flag.IntVar(&c.rounds, "rounds", 1, "alternate proxy and gateway this many times (figures are per target over all rounds)")
	flag.StringVar(&c.tmp, "tmp", "", "where to create the run's directory with the gateway's database (default: the system temporary directory); the disk's fsync latency is part of every gateway answer")
	flag.StringVar(&c.database, "database", "", "postgres:// URL of an empty database for the gateway (default: SQLite in the run's directory)")
	flag.BoolVar(&c.keep, "keep", false, "keep the data directory (with the audit log) and print its path")
	flag.BoolVar(&c.split, "split", false, "run the load client and fregsim on CPU 0 and the proxy or gateway on the other CPUs (Linux, needs taskset and 2+ CPUs), as a load test with the client on another machine would; without it all share every CPU")
	proxyUpstream := flag.String("serve-proxy", "", "internal: serve the plain reverse proxy in front of this upstream")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: fvload [flags]\n\nLoad test: gateway vs a plain reverse proxy, both in front of the same fregsim.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *proxyUpstream != "" {
		if err := serveProxy(*proxyUpstream); err != nil {
			fmt.Fprintln(os.Stderr, "fvload proxy:", err)
			os.Exit(1)
		}
		return
	}
	if c.split && os.Getenv(pinnedEnv) == "" {
		// The client runs on CPU 0 with fregsim; the process pins itself
		// (every thread) by starting again under taskset.
		if err := pinSelf(); err != nil {
			fmt.Fprintln(os.Stderr, "fvload:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "fvload:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var children sync.WaitGroup
	dir, err := os.MkdirTemp(c.tmp, "fvload-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Println("data directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	// Children are killed and waited for before the directory goes:
	// otherwise the process exits before exec's kill goroutine runs, and
	// fregsim and serve outlive the run, holding memory and ports.
	defer func() {
		cancel()
		children.Wait()
	}()
	if c.binary == "" {
		c.binary = filepath.Join(dir, "folkevakt")
		fmt.Println("building folkevakt …")
		b := exec.Command("go", "build", "-o", c.binary, "./cmd/folkevakt")
		b.Stdout, b.Stderr = os.Stdout, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build (run fvload from the repository root or pass -folkevakt): %w", err)
		}
	}

	// 1. fregsim.
	clientCPUs, serverCPUs := "", ""
	if c.split {
		// NumCPU here is CPU 0 alone: the count comes from before pinning.
		n, _ := strconv.Atoi(os.Getenv(pinnedEnv))
		clientCPUs, serverCPUs = "0", fmt.Sprintf("1-%d", max(n, 2)-1)
		fmt.Printf("split: load client and fregsim on CPU %s, proxy and gateway on CPU %s\n", clientCPUs, serverCPUs)
	}
	fregURL, _, err := start(ctx, &children, clientCPUs, c.binary, dir, nil, `fregsim listening on (http://\S+)`, "fregsim", "--addr", "127.0.0.1:0",
		"--population", strconv.Itoa(c.population), "--kommunenummer", kommunenr, "--log-format", "text",
		"--latency", c.upstreamLatency.String())
	if err != nil {
		return err
	}
	ids, err := personIDs(fregURL)
	if err != nil {
		return err
	}
	fmt.Printf("fregsim at %s, %d identity numbers to look up\n", fregURL, len(ids))

	// 2. The organisation, a role and an integration, provisioned in the
	// database before serve loads its policy.
	dataDir := filepath.Join(dir, "data")
	roleID, integ, password, err := provision(ctx, dataDir, c.database)
	if err != nil {
		return err
	}

	// 3. folkevakt serve in front of fregsim.
	env := []string{"FOLKEVAKT_BOOTSTRAP_ORG=" + orgNumber + ":Storevik kommune:" + kommunenr}
	if c.database != "" {
		env = append(env, "FOLKEVAKT_DATABASE="+c.database)
	}
	gwURL, gwPID, err := start(ctx, &children, serverCPUs, c.binary, dir, env, `folkevakt listening on (http://\S+)`, "serve", "--addr", "127.0.0.1:0",
		"--data-dir", dataDir, "--upstream", fregURL, "--log-level", "warn", "--policy-model", "model.conf")
	if err != nil {
		return err
	}
	token, err := auth.MintMaskinportenToken(dataDir, orgNumber, 10*time.Minute)
	if err != nil {
		return err
	}

	// 4. The plain reverse proxy, a process of its own like the gateway.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	proxyURL, proxyPID, err := start(ctx, &children, serverCPUs, self, dir, nil, `proxy listening on (http://\S+)`, "-serve-proxy", fregURL)
	if err != nil {
		return err
	}
	proxyBase := proxyURL + fregPath

	query := ""
	if c.part != "" {
		query = "?part=" + url.QueryEscape(c.part)
	}
	proxy := target{name: "proxy", pid: proxyPID, url: func(id string) string { return proxyBase + "/v1/personer/" + id + query }}
	gwBase := gwURL + "/folkeregister/api/v1/" + roleID + "/v1/personer/"
	gateway := target{name: "gateway", pid: gwPID, url: func(id string) string { return gwBase + id + query }, header: http.Header{
		"Integrasjonid":      {integ},
		"Integrasjonpassord": {password},
		"Authorization":      {"Bearer " + token},
	}}
	fmt.Printf("%d clients, %s per target and round after %s warm-up, %d round(s)\n", c.concurrency, c.duration, c.warmup, c.rounds)
	var ps, gs []result
	for i := 0; i < c.rounds; i++ {
		for _, t := range []*target{&proxy, &gateway} {
			if _, err := load(t, ids, c.concurrency, c.warmup); err != nil {
				return err
			}
			r, err := load(t, ids, c.concurrency, c.duration)
			if err != nil {
				return err
			}
			fmt.Printf("  round %d %-8s %s\n", i+1, t.name, r)
			if t == &proxy {
				ps = append(ps, r)
			} else {
				gs = append(gs, r)
			}
		}
	}
	p, g := merge(ps), merge(gs)
	fmt.Println()
	fmt.Printf("proxy    %s\n", p)
	fmt.Printf("gateway  %s\n", g)
	fmt.Printf("throughput ratio gateway/proxy = %.3f (target ≥ 0.9)\n", g.rps()/p.rps())
	fmt.Printf("added p99 = %s (target ≤ 2ms), added p50 = %s\n", (g.pct(99) - p.pct(99)).Round(time.Microsecond), (g.pct(50) - p.pct(50)).Round(time.Microsecond))
	fmt.Printf("CPU per request: proxy process %s, gateway process %s\n", p.cpuPerRequest(), g.cpuPerRequest())
	if avg, err := auditBatch(gwURL); err == nil {
		fmt.Printf("audit: %s\n", avg)
	}
	return nil
}

// start runs a program (a folkevakt subcommand or the proxy) and waits for
// the line announcing its URL; cpus, if set, pins it there with taskset. Its
// log goes to <logDir>/<first argument>.log.
func start(ctx context.Context, children *sync.WaitGroup, cpus, bin, logDir string, env []string, announce string, args ...string) (string, int, error) {
	name := strings.TrimLeft(args[0], "-")
	if cpus != "" {
		args = append([]string{"-c", cpus, bin}, args...)
		bin = "taskset"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		return "", 0, err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	re := regexp.MustCompile(announce)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	children.Go(func() { _ = cmd.Wait() })
	select {
	case u, ok := <-found:
		if !ok {
			return "", 0, fmt.Errorf("%s exited before it was ready (see %s.log)", name, name)
		}
		return u, cmd.Process.Pid, nil
	case <-time.After(2 * time.Minute):
		return "", 0, fmt.Errorf("%s did not start", name)
	}
}

// personIDs asks fregsim for the residents of the organisation's kommune.
func personIDs(base string) ([]string, error) {
	resp, err := http.Get(base + "/v1/personer/soek?kommunenummer=" + kommunenr + "&kjoenn=kvinne&maksTreff=10000")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var l struct {
		FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || len(l.FoedselsEllerDNummer) == 0 {
		return nil, fmt.Errorf("fregsim soek: %d %v", resp.StatusCode, err)
	}
	return l.FoedselsEllerDNummer, nil
}

func provision(ctx context.Context, dataDir, database string) (roleID, integrationID, password string, err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", "", err
	}
	opts := sqlstore.Options{Path: filepath.Join(dataDir, "folkevakt.db"), URL: database}
	st, err := sqlstore.Open(ctx, opts)
	if err != nil {
		return "", "", "", err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return "", "", "", err
	}
	org, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: orgNumber, Name: "Storevik kommune", Kommunenummer: []string{kommunenr}})
	if err != nil {
		return "", "", "", err
	}
	t := st.Tenant(org.ID)
	elements := slices.Clone(freg.PersonBasis)
	role, err := t.CreateRole(ctx, store.Role{Name: "Oppslag", ServiceAreaID: "helse-omsorg", Usage: store.UsageWebAndM2M,
		Purposes: []string{store.PurposeSearch}, Elements: elements, GradedAddresses: store.GradedHide})
	if err != nil {
		return "", "", "", err
	}
	password = secret.NewPassword()
	hash, err := secret.Hash(password)
	if err != nil {
		return "", "", "", err
	}
	integ, err := t.CreateIntegration(ctx, store.Integration{Name: "fvload", OrgNumber: orgNumber, PasswordHash: hash})
	if err != nil {
		return "", "", "", err
	}
	if _, err := t.CreateGrant(ctx, store.Grant{RoleID: role.ID, Kind: store.SubjectIntegration, SubjectID: integ.ID}); err != nil {
		return "", "", "", err
	}
	return role.ID, integ.ID, password, nil
}

// pinnedEnv tells the pinned run how many CPUs the machine has.
const pinnedEnv = "FVLOAD_PINNED"

// pinSelf runs this program again on CPU 0 and exits with its status.
func pinSelf() error {
	if runtime.NumCPU() < 2 {
		return errors.New("-split needs at least 2 CPUs")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command("taskset", append([]string{"-c", "0", self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), pinnedEnv+"="+strconv.Itoa(runtime.NumCPU()))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		return fmt.Errorf("taskset (util-linux) is needed for -split: %w", err)
	}
	return nil
}

// serveProxy is the baseline: httputil.ReverseProxy with a pooled transport,
// nothing else.
func serveProxy(upstream string) error {
	u, err := url.Parse(upstream)
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	rp.Transport = transport()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("proxy listening on http://%s\n", ln.Addr())
	return (&http.Server{Handler: rp}).Serve(ln)
}

func transport() *http.Transport {
	return &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true}
}

type target struct {
	name   string
	pid    int // the server's process, for its CPU time
	url    func(id string) string
	header http.Header
	client *http.Client
}

type result struct {
	n       int
	elapsed time.Duration
	cpu     time.Duration   // the server process's CPU time meanwhile
	lat     []time.Duration // sorted
}

func (r result) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

// cpuPerRequest is the server process's CPU time (user and system) per
// answered request. It varies less with what else the machine runs than
// throughput does, though not by nothing (±15 % between runs here).
func (r result) cpuPerRequest() string {
	if r.n == 0 || r.cpu <= 0 {
		return "unknown"
	}
	return (r.cpu / time.Duration(r.n)).Round(time.Microsecond).String()
}

// processCPU reads a process's user plus system time from /proc (Linux).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p / 100)
	return r.lat[i]
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %7s  p99 %7s  (%d requests)", r.rps(), r.pct(50).Round(time.Microsecond), r.pct(99).Round(time.Microsecond), r.n)
}

func merge(rs []result) result {
	var m result
	for _, r := range rs {
		m.n += r.n
		m.elapsed += r.elapsed
		m.cpu += r.cpu
		m.lat = append(m.lat, r.lat...)
	}
	slices.Sort(m.lat)
	return m
}

// load runs clients against t for d and fails on any answer but 200.
func load(t *target, ids []string, clients int, d time.Duration) (result, error) {
	if t.client == nil {
		t.client = &http.Client{Transport: transport(), Timeout: 30 * time.Second}
	}
	var (
		mu      sync.Mutex
		all     []time.Duration
		firstEr error
		wg      sync.WaitGroup
	)
	cpu0 := processCPU(t.pid)
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 1))
			lat := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", t.url(ids[rng.IntN(len(ids))]), nil)
				for k, v := range t.header {
					req.Header[k] = v
				}
				t0 := time.Now()
				resp, err := t.client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s answered %d", t.name, resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = err
					}
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}(uint64(w) + 1)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstEr != nil {
		return result{}, firstEr
	}
	slices.Sort(all)
	return result{n: len(all), elapsed: elapsed, lat: all, cpu: processCPU(t.pid) - cpu0}, nil
}

// auditBatch reads the gateway's audit batch-size histogram.
func auditBatch(base string) (string, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	val := func(name string) float64 {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
		return 0
	}
	sum, count := val("folkevakt_audit_batch_size_sum"), val("folkevakt_audit_batch_size_count")
	if count == 0 {
		return "", errors.New("no audit batches")
	}
	commit := time.Duration(val("folkevakt_audit_commit_duration_seconds_sum") / count * float64(time.Second))
	return fmt.Sprintf("%.0f records in %.0f transactions, %.1f records per transaction, %s per transaction",
		sum, count, sum/count, commit.Round(time.Microsecond)), nil
}
