package lists

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway/freg/synth"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// procStatus reads a kB field of /proc/self/status in MiB.
func procStatus(b *testing.B, field string) float64 {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return float64(kb) / 1024
		}
	}
	b.Fatalf("no %s", field)
	return 0
}

// BenchmarkCitizenList720k writes every resident of Oslo (synthetic, about
// 720,000 persons; half that for the smaller size) with name, birth date,
// sex and address to xlsx and to CSV through the whole job: uttrekk,
// bulkoppslag, reduction, audit into SQLite, file. It reports seconds per
// list and the memory the job adds: peak RSS during the job (VmHWM after
// resetting it through /proc/self/clear_refs) minus RSS before.
func BenchmarkCitizenList720k(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"360k", 681_000}, {"720k", 1_362_000}} {
		reg, err := synth.Generate(synth.Config{Seed: 1, N: size.n, Kommuner: []string{"0301"}})
		if err != nil {
			b.Fatal(err)
		}
		for _, format := range []string{FormatCSV, FormatXLSX} {
			b.Run(size.name+"/"+format, func(b *testing.B) {
				benchList(b, reg, format)
			})
		}
	}
}

func benchList(b *testing.B, reg *synth.Register, format string) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(dir, "folkevakt.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	org, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "974760673", Name: "Oslo kommune", Kommunenummer: []string{"0301"}})
	if err != nil {
		b.Fatal(err)
	}
	area, _ := st.Tenant(org.ID).GetServiceArea(ctx, "helse-omsorg")
	role, err := st.Tenant(org.ID).CreateRole(ctx, store.Role{Name: "vaksine", ServiceAreaID: area.ID, Usage: store.UsageWebAndM2M,
		Purposes: []string{store.PurposeCitizenLists}, Elements: allListElements, GradedAddresses: store.GradedHide})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := New(Options{Store: st, Upstream: reg, Reduce: testReducer, DataDir: dir, Workers: 1,
		Audit: func(ctx context.Context, r store.AuditRecord) error {
			_, err := st.AppendAudit(ctx, []store.AuditRecord{r})
			return err
		}})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	who := Caller{OrgID: org.ID, SubjectKind: store.SubjectUser, SubjectID: "u", Role: role, Area: area}
	body := []byte(`{"criteria":{},"elements":["navn","foedsel","kjoenn","bostedsadresse"],"format":"` + format + `"}`)
	var rows int
	var secs, mem float64
	for b.Loop() {
		before := procStatus(b, "VmRSS")
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			b.Skipf("cannot reset VmHWM: %v", err)
		}
		start := time.Now()
		o, err := svc.Order(ctx, who, body)
		if err != nil {
			b.Fatal(err)
		}
		for o.Status == store.OrderQueued || o.Status == store.OrderRunning {
			time.Sleep(20 * time.Millisecond)
			if o, err = st.Tenant(org.ID).GetListOrder(ctx, o.ID); err != nil {
				b.Fatal(err)
			}
		}
		secs = time.Since(start).Seconds()
		if o.Status != store.OrderDone {
			b.Fatalf("%s: %s", o.Status, o.Error)
		}
		mem = max(mem, procStatus(b, "VmHWM")-before)
		rows = o.Rows
		_ = os.Remove(filepath.Join(dir, o.File))
	}
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(secs, "s/list")
	b.ReportMetric(mem, "MiB-job-peak")
	fmt.Fprintf(os.Stderr, "%s: %d rows in %.1f s, job peak RSS +%.0f MiB\n", format, rows, secs, mem)
}
