package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg/ident"
)

func init() {
	commands["dev"] = command{"mint tokens of the local dev issuers (maskinporten-token, employee-token)", runDev}
}

// devCommands are the subcommands of `folkevakt dev`.
var devCommands = map[string]command{
	"maskinporten-token": {"print a dev Maskinporten access token (scope ks:fiks) for an organisation", runDevMaskinportenToken},
	"employee-token":     {"print a dev employee ID token for a SCIM user", runDevEmployeeToken},
}

func runDev(ctx context.Context, e env, args []string) error {
	if wantsHelp(args) {
		printDevHelp(e.stdout)
		return errHelp
	}
	if len(args) == 0 {
		printDevHelp(e.stderr)
		return errUsage
	}
	cmd, ok := devCommands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "folkevakt dev: unknown command %q\n", args[0])
		printDevHelp(e.stderr)
		return errUsage
	}
	return cmd.run(ctx, e, args[1:])
}

func printDevHelp(w io.Writer) {
	fmt.Fprintln(w, "Usage: folkevakt dev <command> [flags]")
	fmt.Fprintln(w, "\nTokens of the dev issuers, trusted by 'folkevakt serve' with --maskinporten dev / --oidc-issuer dev")
	fmt.Fprintln(w, "and the same --data-dir (the signing keys live there).\n\nCommands:")
	for _, n := range []string{"maskinporten-token", "employee-token"} {
		fmt.Fprintf(w, "  %-20s %s\n", n, devCommands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'folkevakt dev <command> -h' for its flags.")
}

func runDevMaskinportenToken(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "dev maskinporten-token")
	dataDir := fs.String("data-dir", "./data", "data directory of the server (holds the dev issuer key)")
	org := fs.String("org", "", "organisation number of the consumer (the integration's orgNumber)")
	ttl := fs.Duration("ttl", 10*time.Minute, "token lifetime")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *org == "" {
		return usageError(e, "dev maskinporten-token", "--org is required")
	}
	if err := requireDir(*dataDir); err != nil {
		return err
	}
	if err := ident.ValidOrgNumber(*org); err != nil {
		return fmt.Errorf("--org: %q is not a valid organisation number: %v", *org, err)
	}
	tok, err := auth.MintMaskinportenToken(*dataDir, *org, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

func runDevEmployeeToken(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "dev employee-token")
	dataDir := fs.String("data-dir", "./data", "data directory of the server (holds the dev issuer key)")
	user := fs.String("user", "", "SCIM userName of the employee (preferred_username)")
	oid := fs.String("oid", "", "object id (oid claim), matched against the SCIM externalId")
	ttl := fs.Duration("ttl", time.Hour, "token lifetime")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if strings.TrimSpace(*user) == "" {
		return usageError(e, "dev employee-token", "--user is required")
	}
	if err := requireDir(*dataDir); err != nil {
		return err
	}
	tok, err := auth.MintEmployeeToken(*dataDir, *user, *oid, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}
