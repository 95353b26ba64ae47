package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// env is what every command gets: streams and the environment lookup, so
// that tests run commands in-process without touching the real ones.
type env struct {
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands is the table of subcommands; files register theirs in init.
var commands = map[string]command{}

// errUsage marks errors already explained to the user (flag errors, help).
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	e := env{stdout: stdout, stderr: stderr, lookup: lookup}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "folkevakt: unknown command %q (see 'folkevakt help')\n", args[0])
		return 2
	}
	if err := cmd.run(ctx, e, args[1:]); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(stderr, "folkevakt %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "folkevakt — policy-enforcing gateway to Folkeregisteret for municipalities")
	fmt.Fprintln(w, "\nUsage: folkevakt <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery flag of serve can also be set as FOLKEVAKT_<FLAG> (upper snake case).")
	fmt.Fprintln(w, "Run 'folkevakt <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that prints its usage to e.stderr.
func newFlagSet(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("folkevakt "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args, then fills every flag not given on the command line
// from FOLKEVAKT_<FLAG>. A bad value in either place is reported with the
// setting named.
func parseFlags(fs *flag.FlagSet, e env, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := envName(f.Name)
		if v, ok := e.lookup(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: invalid value %q: %v", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// envName maps a flag name to its environment variable.
func envName(flagName string) string {
	return "FOLKEVAKT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
