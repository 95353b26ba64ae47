package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"folkevakt/policy/admin"
)

func init() {
	commands["policy"] = command{"export an organisation's roles and grants as YAML, or import (diff, apply) such a file", adminCommand("policy", map[string]subcommand{
		"export": {"write the policy as YAML (--out file, default stdout)", policyExport, false},
		"import": {"show the diff of a policy file (--file) and apply it in one transaction (--dry-run, --prune)", policyImport, false},
	})}
}

func policyExport(s *adminSession, args []string) error {
	out := s.flags().String("out", "", "file to write (default: stdout)")
	if err := s.open(args); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.svc.ExportPolicy(s.ctx, s.org.ID, &buf); err != nil {
		return err
	}
	if *out == "" {
		_, err := s.e.stdout.Write(buf.Bytes())
		return err
	}
	// Write beside the target and rename, so a failed export never leaves
	// half a policy file behind.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".policy-*.yaml")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("--out: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(s.e.stderr, "wrote the policy of %s to %s\n", s.org.OrgNumber, *out)
	return nil
}

func policyImport(s *adminSession, args []string) error {
	fs := s.flags()
	file := fs.String("file", "", "policy file (YAML, as written by policy export)")
	var o admin.ImportOptions
	fs.BoolVar(&o.DryRun, "dry-run", false, "show the diff and change nothing")
	fs.BoolVar(&o.Prune, "prune", false, "delete roles (and their grants) that the file does not name")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("file", *file); err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return fmt.Errorf("--file: %w", err)
	}
	defer f.Close()
	res, err := s.svc.ImportPolicy(s.ctx, s.org.ID, f, o)
	if err != nil {
		return err
	}
	for _, d := range res.Diff {
		fmt.Fprintln(s.e.stdout, d.String())
	}
	switch n := res.Changes(); {
	case n == 0:
		fmt.Fprintln(s.e.stdout, "no changes")
	case o.DryRun:
		fmt.Fprintf(s.e.stdout, "dry run: %d change(s) not applied\n", n)
	default:
		fmt.Fprintf(s.e.stdout, "applied %d change(s) in one transaction\n", n)
	}
	return nil
}
