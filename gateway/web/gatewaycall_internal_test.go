package web

import "testing"

// The gateway's refusals reach the portal in Norwegian, naming the
// element by its label where the gateway named one.
func TestForbiddenMessage(t *testing.T) {
	for _, tc := range []struct {
		code, message, want string
	}{
		{"element-not-in-role", "element sivilstand is not in the role", "Rollen du har valgt gir ikke tilgang til opplysningen «Sivilstand»."},
		{"element-not-in-role", "part relasjon-utvidet is not within the role (element familierelasjon)", "Rollen du har valgt gir ikke tilgang til opplysningen «Familierelasjon»."},
		{"confidential-not-allowed", "element familierelasjon is not in the role: the tjenesteområde does not allow confidential data",
			"Tjenesteområdet til rollen gir ikke tilgang til taushetsbelagte opplysninger, som «Familierelasjon»."},
		{"element-not-in-role", "element nosuchthing is not in the role", "Rollen du har valgt gir ikke tilgang til opplysningen som trengs."},
		{"not-granted", "the caller does not hold this role", "Du har ikke (lenger) tilgang til denne rollen."},
		{"something-new", "whatever", "Rollen du har valgt gir ikke tilgang til dette."},
	} {
		if got := forbiddenMessage(fiksError{ErrorCode: tc.code, Message: tc.message}); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.code, tc.message, got, tc.want)
		}
	}
}
