package gateway

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"folkevakt/gateway/freg"
)

// extractJobs remembers which organisation and role ordered each uttrekk
// job. FREG's job ids are bearer capabilities: whoever knows one can read
// the job's batches of identity numbers, so the gateway hands a job's
// batches only to the organisation and role that ordered it.
//
// The record lives in memory for jobTTL (FREG keeps jobs for a limited
// time); after a restart, or on another instance, the batches of an older
// job are refused and the fagsystem orders again.
type extractJobs struct {
	mu     sync.Mutex
	now    func() time.Time
	owners map[string]jobOwner
}

type jobOwner struct {
	orgID, roleID string
	expires       time.Time
}

const (
	jobTTL  = 24 * time.Hour
	maxJobs = 100_000
)

func newExtractJobs(now func() time.Time) *extractJobs {
	return &extractJobs{now: now, owners: map[string]jobOwner{}}
}

// remember records that orgID, acting in roleID, ordered job id.
func (j *extractJobs) remember(id, orgID, roleID string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	if len(j.owners) >= maxJobs {
		for k, o := range j.owners {
			if now.After(o.expires) {
				delete(j.owners, k)
			}
		}
	}
	if len(j.owners) >= maxJobs {
		// Still full of live jobs: refuse to grow; the oldest orders keep
		// working until they expire, the new one's batches will be refused.
		return
	}
	j.owners[id] = jobOwner{orgID: orgID, roleID: roleID, expires: now.Add(jobTTL)}
}

// owns reports whether orgID acting in roleID ordered job id.
func (j *extractJobs) owns(id, orgID, roleID string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	o, ok := j.owners[id]
	return ok && o.orgID == orgID && o.roleID == roleID && j.now().Before(o.expires)
}

// extractScope keeps an uttrekk within the organisation's own
// municipalities: FREG reads an uttrekk without kommunenummer as
// nationwide, and a kommune has no basis for lists of other kommuners
// residents (the citizen lists apply the same rule).
func (s *Server) extractScope(x *exchange, req freg.ExtractRequest) error {
	k := req.Kommunenummer
	if k == nil {
		return badRequest("kommunenummer is required: an uttrekk covers one of the organisation's municipalities")
	}
	org, err := s.store.GetOrganisation(x.ctx, x.orgID)
	if err != nil {
		return x.internal(err, "organisation")
	}
	nr := k.Bostedskommunenummer + k.Oppholdskommunenummer // validation leaves exactly one set
	if !slices.Contains(org.Kommunenummer, nr) {
		return &apiError{status: http.StatusForbidden, code: codeKommuneNotServed,
			message: "kommunenummer " + nr + " is not one of the organisation's municipalities"}
	}
	return nil
}
