package main

import (
	"fmt"
	"strings"

	"folkevakt/store"
)

func init() {
	commands["org"] = command{"operator: create and list organisations", adminCommand("org", map[string]subcommand{
		"create": {"create an organisation (--org-number, --name, --kommunenummer)", orgCreate, true},
		"list":   {"list organisations", orgList, true},
	})}
	commands["tokens"] = command{"operator: create, list and delete admin and SCIM tokens", adminCommand("tokens", map[string]subcommand{
		"create": {"create a token (--kind admin|scim, --name) and print it once", tokensCreate, false},
		"list":   {"list an organisation's tokens", tokensList, false},
		"delete": {"delete a token (--id)", tokensDelete, false},
	})}
	commands["service-areas"] = command{"operator: list and create tjenesteområder", adminCommand("service-areas", map[string]subcommand{
		"list":   {"list an organisation's tjenesteområder", areasList, false},
		"create": {"add a tjenesteområde (--id, --name, --legal-basis, --confidential-allowed)", areasCreate, false},
	})}
}

func orgCreate(s *adminSession, args []string) error {
	fs := s.flags()
	number := fs.String("org-number", "", "organisation number (9 digits, mod-11 valid)")
	name := fs.String("name", "", "name, e.g. 'Storevik kommune'")
	kommuner := fs.String("kommunenummer", "", "comma-separated kommunenummer the organisation serves")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("org-number", *number); err != nil {
		return err
	}
	o, err := s.svc.CreateOrganisation(s.ctx, *number, *name, splitList(*kommuner))
	if err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "created organisation %s %q (kommunenummer %s, id %s)\n", o.OrgNumber, o.Name, strings.Join(o.Kommunenummer, ","), o.ID)
	return nil
}

func orgList(s *adminSession, args []string) error {
	asJSON := s.jsonFlag()
	if err := s.open(args); err != nil {
		return err
	}
	orgs, err := s.svc.ListOrganisations(s.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONList(s, orgs)
	}
	w := s.table()
	fmt.Fprintln(w, "ORGNUMBER\tNAME\tKOMMUNENUMMER\tID")
	for _, o := range orgs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.OrgNumber, o.Name, strings.Join(o.Kommunenummer, ","), o.ID)
	}
	return w.Flush()
}

func tokensCreate(s *adminSession, args []string) error {
	fs := s.flags()
	kind := fs.String("kind", store.TokenAdmin, "admin (admin API) or scim (Entra ID provisioning)")
	name := fs.String("name", "", "a name saying who holds the token (recorded as the actor of its changes)")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("name", *name); err != nil {
		return err
	}
	tok, t, err := s.svc.CreateToken(s.ctx, s.org.ID, *kind, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.e.stderr, "created %s token %q (id %s) for %s; store it now, it is not shown again:\n", t.Kind, t.Name, t.ID, s.org.OrgNumber)
	fmt.Fprintln(s.e.stdout, tok)
	return nil
}

func tokensList(s *adminSession, args []string) error {
	asJSON := s.jsonFlag()
	if err := s.open(args); err != nil {
		return err
	}
	toks, err := s.svc.ListTokens(s.ctx, s.org.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONList(s, toks)
	}
	w := s.table()
	fmt.Fprintln(w, "ID\tKIND\tNAME\tCREATED")
	for _, t := range toks {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.Kind, t.Name, t.CreatedAt.Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func tokensDelete(s *adminSession, args []string) error {
	id := s.flags().String("id", "", "token id (see tokens list)")
	if err := s.open(args); err != nil {
		return err
	}
	if err := s.require("id", *id); err != nil {
		return err
	}
	if err := s.svc.DeleteToken(s.ctx, s.org.ID, *id); err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "deleted token %s\n", *id)
	return nil
}

func areasList(s *adminSession, args []string) error {
	asJSON := s.jsonFlag()
	if err := s.open(args); err != nil {
		return err
	}
	areas, err := s.svc.ListServiceAreas(s.ctx, s.org.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSONList(s, areas)
	}
	w := s.table()
	fmt.Fprintln(w, "ID\tNAME\tCONFIDENTIAL\tLEGAL BASIS")
	for _, a := range areas {
		fmt.Fprintf(w, "%s\t%s\t%t\t%s\n", a.ID, a.Name, a.ConfidentialAllowed, strings.Join(a.LegalBasis, "; "))
	}
	return w.Flush()
}

func areasCreate(s *adminSession, args []string) error {
	fs := s.flags()
	id := fs.String("id", "", "slug, e.g. parkering")
	name := fs.String("name", "", "display name")
	legal := fs.String("legal-basis", "", "legal bases (lovhjemler), separated by ';'")
	conf := fs.Bool("confidential-allowed", false, "whether roles in the area may read confidential (taushetsbelagte) data")
	if err := s.open(args); err != nil {
		return err
	}
	var lb []string
	for _, l := range strings.Split(*legal, ";") {
		if l = strings.TrimSpace(l); l != "" {
			lb = append(lb, l)
		}
	}
	a, err := s.svc.CreateServiceArea(s.ctx, s.org.ID, store.ServiceArea{ID: *id, Name: *name, LegalBasis: lb, ConfidentialAllowed: *conf})
	if err != nil {
		return err
	}
	fmt.Fprintf(s.e.stdout, "created service area %s %q (confidential allowed: %t)\n", a.ID, a.Name, a.ConfidentialAllowed)
	return nil
}
