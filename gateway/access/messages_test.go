package access

import (
	"strings"
	"testing"
)

// Every reason has a Norwegian message, and element reasons name the
// element by its label: the portal shows nothing English or coded.
func TestNorwegianMessages(t *testing.T) {
	for r := range statuses {
		msg := (&Error{Reason: r, Message: "english text"}).Norwegian()
		if msg == "" || strings.Contains(msg, "english") || strings.Contains(msg, string(r)) {
			t.Errorf("%s: %q", r, msg)
		}
	}
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{Reason: ReasonElement, Element: "sivilstand"}, "Rollen du har valgt gir ikke tilgang til opplysningen «Sivilstand»."},
		{Error{Reason: ReasonElement, Element: "familierelasjon", Part: "relasjon-utvidet"}, "Rollen du har valgt gir ikke tilgang til opplysningen «Familierelasjon»."},
		{Error{Reason: ReasonConfidential, Element: "familierelasjon"}, "Tjenesteområdet til rollen gir ikke tilgang til taushetsbelagte opplysninger, som «Familierelasjon»."},
		{Error{Reason: ReasonElement, Element: "nosuchthing"}, "Rollen du har valgt gir ikke tilgang til opplysningen som trengs."},
		{Error{Reason: ReasonNotGranted}, "Du har ikke (lenger) tilgang til denne rollen."},
		{Error{Reason: "something-new"}, "Noe gikk galt. Prøv igjen senere."},
	} {
		if got := tc.e.Norwegian(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.e, got, tc.want)
		}
	}
}
