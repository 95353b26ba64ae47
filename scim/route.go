package scim

import (
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
)

// endpoint is a SCIM endpoint with the methods it answers on the collection
// (or singleton) and on a member ("/Users/{id}"); a nil member list means
// the endpoint has no members.
type endpoint struct {
	name       string
	collection []string
	member     []string
}

var endpoints = []endpoint{
	{name: "Users", collection: []string{http.MethodGet, http.MethodPost},
		member: []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete}},
	{name: "Groups", collection: []string{http.MethodGet, http.MethodPost},
		member: []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete}},
	{name: "Schemas", collection: []string{http.MethodGet}, member: []string{http.MethodGet}},
	{name: "ResourceTypes", collection: []string{http.MethodGet}, member: []string{http.MethodGet}},
	{name: "ServiceProviderConfig", collection: []string{http.MethodGet}},
}

// route is a request matched to an endpoint.
type route struct {
	endpoint string // canonical name, "Users"
	id       string // member id, "" for the collection
}

// isResource reports whether the route is /Users or /Groups (collection or
// member).
func (rt route) isResource() bool { return rt.endpoint == "Users" || rt.endpoint == "Groups" }

// canonicalPath is the path elimity routes on.
func (rt route) canonicalPath() string {
	p := "/v2/" + rt.endpoint
	if rt.id != "" {
		p += "/" + rt.id
	}
	return p
}

// matchRoute resolves a path below the mount point ("/v2/users/",
// "/Users/abc") as Entra and Microsoft's reference service do: endpoint
// names in any case, "/v2" optional, trailing slashes ignored. Anything
// else is a SCIM 404, a method the endpoint does not answer a SCIM 405.
func matchRoute(method, path string) (route, error) {
	p := strings.Trim(path, "/")
	if len(p) >= 2 && strings.EqualFold(p[:2], "v2") && (len(p) == 2 || p[2] == '/') {
		p = strings.TrimLeft(p[2:], "/")
	}
	name, id, _ := strings.Cut(p, "/")
	if strings.EqualFold(name, "Me") {
		return route{}, errNoMe
	}
	for _, ep := range endpoints {
		if !strings.EqualFold(name, ep.name) {
			continue
		}
		allowed := ep.collection
		if id != "" {
			allowed = ep.member
		}
		if allowed == nil || strings.Contains(id, "/") {
			break
		}
		for _, m := range allowed {
			if m == method {
				return route{endpoint: ep.name, id: id}, nil
			}
		}
		return route{}, methodNotAllowed{allowed: allowed}
	}
	return route{}, errNoEndpoint
}

// errNoMe answers /Me, which RFC 7644 §3.11 lets a provider leave out with
// 501: a SCIM token authenticates Entra, not a user.
var errNoMe = scimerrors.ScimError{Status: http.StatusNotImplemented, Detail: "The /Me endpoint is not supported."}

var errNoEndpoint = scimerrors.ScimError{Status: http.StatusNotFound, Detail: "Specified endpoint does not exist."}

// methodNotAllowed is a SCIM 405 that names the allowed methods.
type methodNotAllowed struct{ allowed []string }

func (m methodNotAllowed) Error() string { return "method not allowed" }

func (m methodNotAllowed) scimError() scimerrors.ScimError {
	return scimerrors.ScimError{Status: http.StatusMethodNotAllowed,
		Detail: "The endpoint answers " + strings.Join(m.allowed, ", ") + " only."}
}
