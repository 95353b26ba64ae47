package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
)

// gwResponse is the gateway's answer to an in-process request.
type gwResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// fiksError is the gateway's error body.
type fiksError struct {
	Status    int    `json:"status"`
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

func (r gwResponse) err() fiksError {
	var e fiksError
	_ = json.Unmarshal(r.Body, &e)
	if e.Status == 0 {
		e.Status = r.Status
	}
	return e
}

// callGateway runs one request through the gateway's own routes with the
// session's ID token as Bearer: authentication, policy, reduction and audit
// are the gateway's. The identity number may be in the in-process path; it
// never reaches the browser's URL bar or our logs.
func (a *app) callGateway(c *gin.Context, method, path string, query url.Values, body any) (gwResponse, error) {
	s := sess(c)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return gwResponse{}, err
		}
		rd = bytes.NewReader(b)
	}
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(c.Request.Context(), method, u, rd)
	if err != nil {
		return gwResponse{}, err
	}
	req.RemoteAddr = c.Request.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+s.idToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	a.engine.ServeHTTP(rec, req)
	return gwResponse{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}, nil
}

// rolePath is the gateway path of resource under the session's role.
func rolePath(roleID, resource string) string {
	return "/folkeregister/api/v1/" + url.PathEscape(roleID) + resource
}

// gatewayMessage turns a refused gateway answer into Norwegian text.
func gatewayMessage(r gwResponse) string {
	e := r.err()
	switch r.Status {
	case http.StatusBadRequest:
		return "Søket eller bestillingen er ikke gyldig: " + e.Message
	case http.StatusUnauthorized:
		return "Innloggingen din er utløpt. Logg inn på nytt."
	case http.StatusForbidden:
		return forbiddenMessage(e)
	case http.StatusNotFound:
		return "Fant ingen person med dette fødselsnummeret eller d-nummeret."
	case http.StatusTooManyRequests:
		return "For mange forespørsler. Vent litt og prøv igjen."
	case http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusBadGateway:
		return "Folkeregisteret svarer ikke akkurat nå. Prøv igjen senere."
	}
	return "Noe gikk galt (status " + http.StatusText(r.Status) + ")."
}

// forbiddenMessages say in Norwegian why the gateway refused (by its
// errorCode); the gateway's own messages are English, for fagsystem
// developers.
var forbiddenMessages = map[string]string{
	"element-not-in-role":      "Rollen du har valgt gir ikke tilgang til opplysningen",
	"confidential-not-allowed": "Tjenesteområdet til rollen gir ikke tilgang til taushetsbelagte opplysninger, som",
	"person-basis-required":    "Rollen dekker ikke alle opplysningene i «Person basis», så opplysningene må velges uttrykkelig.",
	"not-granted":              "Du har ikke (lenger) tilgang til denne rollen.",
	"purpose-not-in-role":      "Rollen har ikke dette bruksområdet.",
	"unknown-role":             "Rollen finnes ikke.",
	"role-m2m-only":            "Rollen kan bare brukes av fagsystemer (maskin-til-maskin).",
	"kommune-not-served":       "Kommunen hører ikke til organisasjonen din.",
}

var elementInMessage = regexp.MustCompile(`element ([A-Za-z]+)`)

func forbiddenMessage(e fiksError) string {
	msg, ok := forbiddenMessages[e.ErrorCode]
	if !ok {
		return "Rollen du har valgt gir ikke tilgang til dette."
	}
	if e.ErrorCode != "element-not-in-role" && e.ErrorCode != "confidential-not-allowed" {
		return msg
	}
	label := "som trengs"
	if m := elementInMessage.FindStringSubmatch(e.Message); m != nil {
		if el, known := freg.LookupElement(m[1]); known {
			label = "«" + el.Label + "»"
		}
	}
	return msg + " " + label + "."
}
