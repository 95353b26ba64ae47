package synth

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"time"

	"folkevakt/gateway/freg"
)

// ExtractBatchSize is the number of identity numbers per uttrekk batch.
const ExtractBatchSize = 5000

// Job state is bounded: jobs expire after jobTTL and at most maxJobs are
// kept (the oldest is dropped first).
const (
	jobTTL  = time.Hour
	maxJobs = 64
)

type job struct {
	id      string
	created time.Time
	persons []int32
	// A komplett uttrekk lists person documents: feed positions.
	docs     []int64
	komplett bool
}

func (j *job) size() int { return len(j.persons) + len(j.docs) }

type jobStore struct {
	mu   sync.Mutex
	jobs []*job // in creation order
}

// statusTypes maps uttrekk personstatustyper to person statuses; aktiv
// covers the statuses FREG keeps confidential.
var statusTypes = map[string][]uint8{
	"bosatt":    {stBosatt},
	"utflyttet": {stUtflyttet},
	"doed":      {stDoed},
	"inaktiv":   {stInaktiv},
	"aktiv":     {stMidlertidig, stAktiv},
}

// OrderExtract validates a tilpasset uttrekk, selects its persons and
// returns the jobbId.
func (r *Register) OrderExtract(ctx context.Context, req freg.ExtractRequest) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	bad := func(what string) (string, error) { return "", fmt.Errorf("%w: %s", freg.ErrInvalid, what) }
	if len(req.Personstatustyper) == 0 {
		return bad("personstatustyper is required")
	}
	var statuses [stAktiv + 1]bool
	for _, t := range req.Personstatustyper {
		st, ok := statusTypes[t]
		if !ok {
			return bad("personstatustyper must be aktiv, bosatt, utflyttet, doed or inaktiv")
		}
		for _, s := range st {
			statuses[s] = true
		}
	}
	var kommune string
	opphold := false
	if k := req.Kommunenummer; k != nil {
		if (k.Bostedskommunenummer == "") == (k.Oppholdskommunenummer == "") {
			return bad("kommunenummer needs exactly one of bostedskommunenummer and oppholdskommunenummer")
		}
		kommune, opphold = k.Bostedskommunenummer, k.Oppholdskommunenummer != ""
		if opphold {
			kommune = k.Oppholdskommunenummer
		}
		if len(kommune) != 4 {
			return bad("kommunenummer must have 4 digits")
		}
	}
	if req.Kjoenn != "" && req.Kjoenn != "mann" && req.Kjoenn != "kvinne" {
		return bad("kjoenn must be mann or kvinne")
	}
	if req.Sivilstandstype != "" && !slices.Contains(sivilNames, req.Sivilstandstype) && !validSivilstand[req.Sivilstandstype] {
		return bad("unknown sivilstandstype")
	}
	match := func(p *person) bool {
		y := yearOf(p.birth)
		switch {
		case !statuses[p.status],
			req.FoedselsaarFraOgMed != 0 && y < int(req.FoedselsaarFraOgMed),
			req.FoedselsaarTilOgMed != 0 && y > int(req.FoedselsaarTilOgMed),
			req.Kjoenn != "" && (req.Kjoenn == "kvinne") != p.female(),
			req.Statsborgerskap != "" && countries[p.land].iso3 != req.Statsborgerskap,
			req.Sivilstandstype != "" && sivilNames[p.sivil] != req.Sivilstandstype:
			return false
		}
		if req.DoedsaarFraOgMed != 0 || req.DoedsaarTilOgMed != 0 {
			if p.status != stDoed {
				return false
			}
			d := yearOf(p.end)
			if (req.DoedsaarFraOgMed != 0 && d < int(req.DoedsaarFraOgMed)) || (req.DoedsaarTilOgMed != 0 && d > int(req.DoedsaarTilOgMed)) {
				return false
			}
		}
		if kommune != "" {
			want := homeBosted
			if opphold {
				want = homeOpphold
			}
			return p.homeKind() == want && r.kommuneOf(p.home) == kommune
		}
		return true
	}
	var ids []int32
	for i := range r.persons {
		if match(&r.persons[i]) {
			ids = append(ids, int32(i))
		}
	}
	jobID, err := newUUID()
	if err != nil {
		return "", err
	}
	r.jobs.add(&job{id: jobID, created: r.now(), persons: ids})
	return jobID, nil
}

// validSivilstand lists FREG's sivilstand values that no synthetic person
// has; asking for them is valid and finds nobody.
var validSivilstand = map[string]bool{
	"uoppgitt": true, "separert": true, "registrertPartner": true, "separertPartner": true,
	"skiltPartner": true, "gjenlevendePartner": true,
}

// ExtractBatch returns batch n (from 0) of a job.
func (r *Register) ExtractBatch(ctx context.Context, jobID string, n int) (freg.ExtractBatch, error) {
	if err := ctx.Err(); err != nil {
		return freg.ExtractBatch{}, err
	}
	j := r.jobs.get(jobID, r.now())
	batches := 0
	if j != nil {
		batches = (j.size() + ExtractBatchSize - 1) / ExtractBatchSize
	}
	switch {
	case j == nil, n < 0, n > batches:
		return freg.ExtractBatch{}, freg.ErrGone
	case n == batches:
		return freg.ExtractBatch{Done: true}, nil
	}
	if j.komplett {
		page := j.docs[n*ExtractBatchSize : min((n+1)*ExtractBatchSize, len(j.docs))]
		out := freg.ExtractBatch{Dokumentidentifikator: make([]string, len(page))}
		for k, seq := range page {
			out.Dokumentidentifikator[k] = r.docID(docPerson, seq)
		}
		return out, nil
	}
	page := j.persons[n*ExtractBatchSize : min((n+1)*ExtractBatchSize, len(j.persons))]
	out := freg.ExtractBatch{FoedselsEllerDNummer: make([]string, len(page))}
	for k, i := range page {
		out.FoedselsEllerDNummer[k] = r.persons[i].ident()
	}
	return out, nil
}

func (s *jobStore) add(j *job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(j.created)
	if len(s.jobs) >= maxJobs {
		s.jobs = slices.Delete(s.jobs, 0, len(s.jobs)-maxJobs+1)
	}
	s.jobs = append(s.jobs, j)
}

func (s *jobStore) get(id string, now time.Time) *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	for _, j := range s.jobs {
		if j.id == id {
			return j
		}
	}
	return nil
}

// expire drops jobs older than jobTTL; s.mu must be held.
func (s *jobStore) expire(now time.Time) {
	keep := slices.IndexFunc(s.jobs, func(j *job) bool { return now.Sub(j.created) < jobTTL })
	if keep < 0 {
		keep = len(s.jobs)
	}
	s.jobs = slices.Delete(s.jobs, 0, keep)
}

// newUUID returns a random version 4 UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("synth: job id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
