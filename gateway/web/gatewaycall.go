package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/store"
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

// gatewayMessage turns a refused gateway answer into Norwegian text, by
// its errorCode (the access service's typed reason), never by its English
// message.
func gatewayMessage(r gwResponse) string {
	e := r.err()
	reason := access.Reason(e.ErrorCode)
	if reason == "" {
		reason = access.ReasonInternal
	}
	return (&access.Error{Reason: reason}).Norwegian()
}

// reader is the access service the portal reads through.
func (a *app) reader() *access.Service { return a.o.Access() }

// caller is the signed-in employee acting in role, for the access service.
// The session middleware (requireEmployee) has checked that the user is
// still an active SCIM user of the organisation.
func (a *app) caller(c *gin.Context, role store.Role, area store.ServiceArea, action string) access.Caller {
	s := sess(c)
	name := s.displayName
	if name == "" {
		name = s.userName
	}
	return access.Caller{OrgID: s.orgID, SubjectKind: store.SubjectUser, SubjectID: s.userID, SubjectName: name,
		RequestID: c.Writer.Header().Get("X-Request-Id"), Action: action, Role: role, Area: area}
}
