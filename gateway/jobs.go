package gateway

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// FREG's uttrekk job ids are bearer capabilities: whoever knows one can read
// the job's batches of identity numbers, so the gateway records in the store
// which organisation and role ordered each job and hands its batches only to
// them, for jobTTL (FREG keeps jobs for a limited time). Being in the store,
// the record survives a restart and is shared by every instance.
const jobTTL = 24 * time.Hour

// rememberJob records that the exchange's organisation and role ordered job
// id. Without the record nobody could fetch the batches, so a failure is
// the caller's 500, not a job id that later answers 410.
func (s *Server) rememberJob(x *exchange, id string) error {
	_, err := s.store.Tenant(x.orgID).RecordExtractJob(x.ctx, store.ExtractJob{ID: id, RoleID: x.rec.RoleID, ExpiresAt: s.now().Add(jobTTL)})
	if err != nil {
		return x.internal(err, "record uttrekk job")
	}
	return nil
}

// ownsJob reports whether the exchange's organisation, acting in its role,
// ordered job id.
func (s *Server) ownsJob(x *exchange, id string) (bool, error) {
	j, err := s.store.Tenant(x.orgID).GetExtractJob(x.ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, x.internal(err, "uttrekk job owner")
	}
	return j.RoleID == x.rec.RoleID, nil
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
