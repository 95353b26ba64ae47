package sqlstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folkevakt/store"
)

// crashChildEnv switches the test binary into the writer child of
// TestCrashDurability; its value is "<db path>|<org id>".
const crashChildEnv = "FOLKEVAKT_SQLSTORE_CRASH_CHILD"

// TestCrashDurability kills a writing process with SIGKILL and checks that
// every user it acknowledged survived and the database is intact.
func TestCrashDurability(t *testing.T) {
	if v := os.Getenv(crashChildEnv); v != "" {
		crashChild(t, v)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	s := openStore(t, path)
	org, err := s.CreateOrganisation(context.Background(), store.Organisation{OrgNumber: "910000001", Name: "Crash"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path+"|"+org.ID)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for lines.Scan() && len(acked) < 150 {
		if id, ok := strings.CutPrefix(lines.Text(), "ACK "); ok {
			acked = append(acked, id)
		}
	}
	// Kill mid-stream: the child is still writing.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < 150 {
		t.Fatalf("child acknowledged only %d users before stopping", len(acked))
	}

	s = openStore(t, path)
	var check string
	if err := s.w.Get(&check, "PRAGMA integrity_check"); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	tn := s.Tenant(org.ID)
	for _, id := range acked {
		if _, err := tn.GetUser(context.Background(), id); err != nil {
			t.Fatalf("acknowledged user %s lost: %v", id, err)
		}
	}
}

// crashChild creates users until killed, printing each id once CreateUser
// has returned.
func crashChild(t *testing.T, arg string) {
	path, org, _ := strings.Cut(arg, "|")
	s, err := Open(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tn := s.Tenant(org)
	for i := 0; ctx.Err() == nil; i++ {
		u, err := tn.CreateUser(ctx, store.User{UserName: fmt.Sprintf("crash-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(os.Stdout, "ACK %s\n", u.ID)
	}
}
