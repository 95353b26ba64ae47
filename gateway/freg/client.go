package freg

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// Client is what folkevakt needs from Folkeregisteret. The embedded synthetic
// register (gateway/freg/synth) and the HTTP client for a real upstream
// (gateway/freg/fregclient) both implement it, with FREG's semantics: Person
// honours `part` exactly as FREG does (see ParseParts / Project).
type Client interface {
	// Person looks up one person by fødselsnummer or D-nummer.
	Person(ctx context.Context, id string, parts []string) (*Person, error)
	// BulkLookup looks up at most 1,000 persons; unknown ones carry a feilmelding.
	BulkLookup(ctx context.Context, ids []string, parts []string) ([]BulkResult, error)
	// Search returns the identity numbers matching q (v1/personer/soek).
	Search(ctx context.Context, q SearchQuery) ([]string, error)
	// UniqueSearch returns the single person matching q (v1/personer/entydigsoek);
	// none or several → ErrNotFound.
	UniqueSearch(ctx context.Context, q SearchQuery, parts []string) (*Person, error)
	// Feed returns up to 1,000 events from seq (inclusive).
	Feed(ctx context.Context, seq int64) ([]FeedItem, error)
	// LastSequence returns the newest event sequence number.
	LastSequence(ctx context.Context) (int64, error)
	// OrderExtract orders a tilpasset uttrekk and returns its jobbId.
	OrderExtract(ctx context.Context, req ExtractRequest) (string, error)
	// ExtractBatch returns batch n (from 0) of a job: ErrNotReady while it is
	// being prepared, ErrGone for an unknown job or batch, Done when past the end.
	ExtractBatch(ctx context.Context, jobID string, n int) (ExtractBatch, error)
	// OrderCompleteExtract orders a komplett uttrekk of every person up to
	// feed sequence number upTo (0 or past the end: the newest) and returns
	// its jobbId; its batches carry dokumentidentifikator.
	OrderCompleteExtract(ctx context.Context, upTo int64) (string, error)
	// ArchivedPerson returns the person document with the given
	// dokumentidentifikator (a feed item's persondokument): the person as
	// the event left them (v1/personer/arkiv/{dokumentidentifikator}).
	ArchivedPerson(ctx context.Context, docID string, parts []string) (*Person, error)
	// ArchivedBulkLookup looks up at most 1,000 person documents; unknown
	// ones carry a feilmelding (v1/personer/bulkoppslag/arkiv).
	ArchivedBulkLookup(ctx context.Context, docIDs []string, parts []string) ([]ArchivedResult, error)
	// Event returns the event document with the given identifier (a feed
	// item's hendelsesdokument; v1/hendelser/{hendelsesidentifikator}).
	Event(ctx context.Context, docID string) (*EventDocument, error)
	// Events returns the known ones of at most 1,000 event documents, in
	// request order (v1/hendelser/bulkoppslag).
	Events(ctx context.Context, docIDs []string) ([]EventDocument, error)
}

// ArchivedResult is one entry of a bulkoppslag/arkiv answer.
type ArchivedResult struct {
	Dokumentidentifikator string       `json:"dokumentidentifikator"`
	Folkeregisterperson   *Person      `json:"folkeregisterperson,omitempty"`
	Feilmelding           *Feilmelding `json:"feilmelding,omitempty"`
}

// EventDocument is FREG's DokumentForHendelse.
type EventDocument struct {
	Dokumentidentifikator string        `json:"dokumentidentifikator"`
	Skjemaversjon         string        `json:"skjemaversjon"`
	Hendelse              EventContents `json:"hendelse"`
}

// EventContents is the event itself: which person, what happened, and the
// changed elements (egenskapshendelse), each shaped like the person
// document's entry without erGjeldende.
type EventContents struct {
	Folkeregisteridentifikator string           `json:"folkeregisteridentifikator"`
	Hendelsestype              string           `json:"hendelsestype"`
	Ajourholdstidspunkt        string           `json:"ajourholdstidspunkt"`
	Egenskapshendelse          []map[string]any `json:"egenskapshendelse,omitempty"`
}

// BulkResult is one entry of a bulkoppslag answer.
type BulkResult struct {
	FoedselsEllerDNummer string       `json:"foedselsEllerDNummer"`
	Folkeregisterperson  *Person      `json:"folkeregisterperson,omitempty"`
	Feilmelding          *Feilmelding `json:"feilmelding,omitempty"`
}

// Feilmelding is FREG's per-item error in bulk answers.
type Feilmelding struct {
	Feilmelding string `json:"feilmelding"`
}

// SearchQuery holds the parameters of soek and entydigsoek (freg.md §2).
// Booleans are FREG's defaults when false; empty strings are absent.
type SearchQuery struct {
	Identifikasjonsnummer string
	Navn                  string
	Kjoenn                string // mann | kvinne
	Foedselsdato          string // YYYYMMDD on the wire, YYYY-MM-DD accepted
	FoedselsaarFraOgMed   int
	FoedselsaarTilOgMed   int
	// The entydigsoek identifiers besides identifikasjonsnummer, each
	// "<ISO 3166-1 alpha-3>-<number>" except the DUF number.
	Legitimasjonsdokument                        string
	Utenlandskpersonidentifikasjon               string
	Utlendingsmyndighetenesidentifikasjonsnummer string
	Adressenavn                                  string
	Husnummer                                    string
	Postnummer                                   string
	Kommunenummer                                string
	Fylkesnummer                                 string
	InkluderOppholdsadresse                      bool
	SoekFonetisk                                 bool
	InkluderDoede                                bool
	Opplysningsgrunnlag                          string // gjeldende (default) | historisk | begge
	MaksTreff                                    int    // ≤ 10,000
}

// FeedItem is one entry of the hendelsesliste.
type FeedItem struct {
	Sekvensnummer int64    `json:"sekvensnummer"`
	Hendelse      Hendelse `json:"hendelse"`
}

// Hendelse is an event with document identifiers (not documents).
type Hendelse struct {
	Folkeregisteridentifikator string `json:"folkeregisteridentifikator"`
	Hendelsetype               string `json:"hendelsetype"`
	Hendelsesdokument          string `json:"hendelsesdokument,omitempty"`
	Persondokument             string `json:"persondokument,omitempty"`
	Ajourholdstidspunkt        string `json:"ajourholdstidspunkt"`
}

// ExtractRequest is FREG's TilpassetUttrekkJobbRequest.
type ExtractRequest struct {
	Personstatustyper   []string       `json:"personstatustyper"`
	Kommunenummer       *KommuneFilter `json:"kommunenummer,omitempty"`
	FoedselsaarFraOgMed Aar            `json:"foedselsaarFraOgMed,omitempty"`
	FoedselsaarTilOgMed Aar            `json:"foedselsaarTilOgMed,omitempty"`
	DoedsaarFraOgMed    Aar            `json:"doedsaarFraOgMed,omitempty"`
	DoedsaarTilOgMed    Aar            `json:"doedsaarTilOgMed,omitempty"`
	Kjoenn              string         `json:"kjoenn,omitempty"`
	Statsborgerskap     string         `json:"statsborgerskap,omitempty"`
	Sivilstandstype     string         `json:"sivilstandstype,omitempty"`
}

// Aar is a year in an uttrekk order. FREG's spec types these years as
// strings ("1990"), and that is how they are sent; a JSON number is
// accepted too, as earlier clients of ours sent numbers.
type Aar int

func (a Aar) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.Itoa(int(a)) + `"`), nil
}

func (a *Aar) UnmarshalJSON(b []byte) error {
	s := strings.TrimSuffix(strings.TrimPrefix(string(b), `"`), `"`)
	if len(b) > 0 && b[0] == '"' && len(s) != len(b)-2 {
		return errors.New("a year must be a JSON string or number")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 9999 || strconv.Itoa(n) != s {
		return errors.New("a year must have 1 to 4 digits")
	}
	*a = Aar(n)
	return nil
}

// KommuneFilter selects by residence or stay municipality (one of them).
type KommuneFilter struct {
	Bostedskommunenummer  string `json:"bostedskommunenummer,omitempty"`
	Oppholdskommunenummer string `json:"oppholdskommunenummer,omitempty"`
}

// ExtractBatch is one batch of an uttrekk job.
type ExtractBatch struct {
	FoedselsEllerDNummer []string `json:"foedselsEllerDNummer,omitempty"`
	// Dokumentidentifikator holds a komplett uttrekk's person documents.
	Dokumentidentifikator []string `json:"dokumentidentifikator,omitempty"`
	Feilmelding           string   `json:"feilmelding,omitempty"`
	Done                  bool     `json:"-"` // FREG answers {} past the last batch
}

// Errors. Implementations wrap these so that callers map them with errors.Is.
var (
	ErrNotFound  = errors.New("freg: person not found")
	ErrInvalid   = errors.New("freg: invalid request")
	ErrNotReady  = errors.New("freg: batch not ready")
	ErrGone      = errors.New("freg: unknown job or batch")
	ErrForbidden = errors.New("freg: not authorised upstream")
	ErrThrottled = errors.New("freg: throttled upstream")
	ErrUpstream  = errors.New("freg: upstream failure")
	ErrTimeout   = errors.New("freg: upstream timeout")
)
