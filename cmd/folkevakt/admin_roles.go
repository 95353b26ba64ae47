package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"folkevakt/policy/admin"
	"folkevakt/store"
)

func init() {
	commands["roles"] = command{"list, show, create, delete and copy roles", adminCommand("roles", map[string]subcommand{
		"list":   {"list roles", rolesList, false},
		"show":   {"show a role as JSON (--id)", rolesShow, false},
		"create": {"create a role from flags or --file role.json", rolesCreate, false},
		"delete": {"delete a role and its grants (--id)", rolesDelete, false},
		"copy":   {"copy a role's settings, without grants (--id, --name)", rolesCopy, false},
	})}
	commands["grants"] = command{"list, create and delete grants of a role", adminCommand("grants", map[string]subcommand{
		"list":   {"list a role's grants (--role)", grantsList, false},
		"create": {"grant a role (--role, --kind group|user|integration, --subject <id>, --expires-at)", grantsCreate, false},
		"delete": {"revoke a grant (--role, --id)", grantsDelete, false},
	})}
	commands["integrations"] = command{"create, list, rotate passwords of and delete integrations", adminCommand("integrations", map[string]subcommand{
		"create":          {"create an integration (--name, --org-number, --description) and print its password once", integrationsCreate, false},
		"list":            {"list integrations", integrationsList, false},
		"rotate-password": {"replace an integration's password (--id) and print the new one once", integrationsRotate, false},
		"delete":          {"delete an integration and its grants (--id)", integrationsDelete, false},
	})}
}

func rolesList(s *adminSession, args []string) error {
	asJSON := s.jsonFlag()
	if err := s.open(args); err != nil {
		return err
	}
	roles, err := s.svc.ListRoles(s.ctx, s.org.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONList(s, roles)
	}
	w := s.table()
	fmt.Fprintln(w, "ID\tNAME\tSERVICE AREA\tUSAGE\tPURPOSES\tELEMENTS")
	for _, r := range roles {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.Name, r.ServiceAreaID, r.Usage, strings.Join(r.Purposes, ","), len(r.Elements))
	}
	return w.Flush()
}

func rolesShow(s *adminSession, args []string) error {
	id := s.flags().String("id", "", "role id")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("id", *id); err != nil {
		return err
	}
	r, err := s.svc.GetRole(s.ctx, s.org.ID, *id)
	if err != nil {
		return err
	}
	return s.printJSON(r)
}

func rolesCreate(s *adminSession, args []string) error {
	fs := s.flags()
	file := fs.String("file", "", "JSON file with the role as for POST /admin/api/v1/roles (instead of the flags below)")
	var in admin.RoleInput
	fs.StringVar(&in.Name, "name", "", "role name")
	fs.StringVar(&in.Description, "description", "", "description")
	fs.StringVar(&in.ServiceArea, "service-area", "", "tjenesteområde id (see service-areas list)")
	fs.StringVar(&in.Usage, "usage", store.UsageWebAndM2M, "web+m2m or m2m")
	purposes := fs.String("purposes", "", "comma-separated: search, citizen-lists, events")
	elements := fs.String("elements", "", "comma-separated FREG element names (identifikasjonsnummer is always included)")
	fs.StringVar(&in.GradedAddresses, "graded-addresses", store.GradedHide, "hide or show")
	if err := s.open(args); err != nil {
		return err
	}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		in = admin.RoleInput{}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return fmt.Errorf("--file %s: %v", *file, err)
		}
	} else {
		in.Purposes, in.Elements = splitList(*purposes), splitList(*elements)
	}
	r, err := s.svc.CreateRole(s.ctx, s.org.ID, in)
	if err != nil {
		return err
	}
	return s.printJSON(r)
}

func rolesDelete(s *adminSession, args []string) error {
	id := s.flags().String("id", "", "role id")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("id", *id); err != nil {
		return err
	}
	if err := s.svc.DeleteRole(s.ctx, s.org.ID, *id); err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "deleted role %s and its grants\n", *id)
	return nil
}

func rolesCopy(s *adminSession, args []string) error {
	fs := s.flags()
	id := fs.String("id", "", "id of the role to copy")
	name := fs.String("name", "", "name of the new role")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("id", *id); err != nil {
		return err
	}
	r, err := s.svc.CopyRole(s.ctx, s.org.ID, *id, *name)
	if err != nil {
		return err
	}
	return s.printJSON(r)
}

func grantsList(s *adminSession, args []string) error {
	role := s.flags().String("role", "", "role id")
	asJSON := s.jsonFlag()
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("role", *role); err != nil {
		return err
	}
	gs, err := s.svc.ListGrants(s.ctx, s.org.ID, *role)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONList(s, gs)
	}
	w := s.table()
	fmt.Fprintln(w, "ID\tKIND\tSUBJECT\tEXPIRES\tCREATED BY")
	for _, g := range gs {
		exp := "never"
		if g.ExpiresAt != nil {
			exp = g.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", g.ID, g.Kind, g.SubjectID, exp, g.CreatedBy)
	}
	return w.Flush()
}

func grantsCreate(s *adminSession, args []string) error {
	fs := s.flags()
	role := fs.String("role", "", "role id")
	var in admin.GrantInput
	fs.StringVar(&in.Kind, "kind", "", "group, user or integration")
	fs.StringVar(&in.Subject, "subject", "", "SCIM id of the group or user, or the integration id")
	expires := fs.String("expires-at", "", "optional expiry, RFC 3339 (e.g. 2027-06-30T00:00:00Z)")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("role", *role, "kind", in.Kind); err != nil {
		return err
	}
	if *expires != "" {
		t, err := time.Parse(time.RFC3339, *expires)
		if err != nil {
			return store.Invalid("expiresAt", "--expires-at is not an RFC 3339 time")
		}
		in.ExpiresAt = &t
	}
	g, err := s.svc.CreateGrant(s.ctx, s.org.ID, *role, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "granted role %s to %s %s (grant id %s)\n", g.RoleID, g.Kind, g.SubjectID, g.ID)
	return nil
}

func grantsDelete(s *adminSession, args []string) error {
	fs := s.flags()
	role := fs.String("role", "", "role id")
	id := fs.String("id", "", "grant id")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("role", *role, "id", *id); err != nil {
		return err
	}
	if err := s.svc.RevokeGrant(s.ctx, s.org.ID, *role, *id); err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "revoked grant %s\n", *id)
	return nil
}

const passwordWarning = "Store the password now: it is shown this once and cannot be recovered (rotate it if lost)."

func integrationsCreate(s *adminSession, args []string) error {
	fs := s.flags()
	var in admin.IntegrationInput
	fs.StringVar(&in.Name, "name", "", "name of the integration (fagsystem)")
	fs.StringVar(&in.OrgNumber, "org-number", "", "authorised organisation number (the vendor's or the municipality's own)")
	fs.StringVar(&in.Description, "description", "", "description")
	if err := s.open(args); err != nil {
		return err
	}
	i, err := s.svc.CreateIntegration(s.ctx, s.org.ID, in)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.e.stderr, passwordWarning)
	fmt.Fprintf(s.e.stdout, "id: %s\npassword: %s\n", i.ID, i.Password)
	return nil
}

func integrationsList(s *adminSession, args []string) error {
	asJSON := s.jsonFlag()
	if err := s.open(args); err != nil {
		return err
	}
	is, err := s.svc.ListIntegrations(s.ctx, s.org.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONList(s, is)
	}
	w := s.table()
	fmt.Fprintln(w, "ID\tNAME\tORGNUMBER\tPASSWORD CHANGED")
	for _, i := range is {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", i.ID, i.Name, i.OrgNumber, i.PasswordChangedAt.Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func integrationsRotate(s *adminSession, args []string) error {
	id := s.flags().String("id", "", "integration id")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("id", *id); err != nil {
		return err
	}
	i, err := s.svc.RotateIntegrationPassword(s.ctx, s.org.ID, *id)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.e.stderr, "The old password no longer works. "+passwordWarning)
	fmt.Fprintf(s.e.stdout, "id: %s\npassword: %s\n", i.ID, i.Password)
	return nil
}

func integrationsDelete(s *adminSession, args []string) error {
	id := s.flags().String("id", "", "integration id")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("id", *id); err != nil {
		return err
	}
	if err := s.svc.DeleteIntegration(s.ctx, s.org.ID, *id); err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "deleted integration %s and its grants\n", *id)
	return nil
}
