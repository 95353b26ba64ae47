package lists

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// File formats. Plain csv separates fields with ';', which Excel with
// Norwegian regional settings splits into columns (with ',' it puts the
// whole row in column A); csv-comma is RFC 4180 CSV for other tools.
const (
	FormatXLSX     = "xlsx"
	FormatCSV      = "csv"
	FormatCSVComma = "csv-comma"
)

// validFormat reports whether format is one of the file formats.
func validFormat(format string) bool {
	return format == FormatXLSX || format == FormatCSV || format == FormatCSVComma
}

// extension is the file name extension of a format.
func extension(format string) string {
	if format == FormatXLSX {
		return "xlsx"
	}
	return "csv"
}

// ContentType is the media type of a format.
func ContentType(format string) string {
	if format == FormatXLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// DownloadName is the file name a list is offered under: what it is, the
// role it was made in and the day it was made (Norwegian time), e.g.
// innbyggerliste-helsestasjon-2026-03-01.xlsx. It is ASCII (æ, ø and å
// spelt ae, o and a) so that every browser and mail client keeps it.
func DownloadName(roleName string, made time.Time, format string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(roleName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r == 'æ':
			b.WriteString("ae")
			dash = false
		case r == 'ø', r == 'ö':
			b.WriteRune('o')
			dash = false
		case r == 'å', r == 'ä', r == 'á':
			b.WriteRune('a')
			dash = false
		case r == 'é', r == 'è':
			b.WriteRune('e')
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteRune('-')
				dash = true
			}
		}
	}
	slug := strings.TrimSuffix(b.String(), "-")
	if len(slug) > 60 {
		slug = strings.TrimSuffix(slug[:60], "-")
	}
	name := "innbyggerliste"
	if slug != "" {
		name += "-" + slug
	}
	return name + "-" + made.In(oslo).Format(time.DateOnly) + "." + extension(format)
}

// oslo is Norwegian time, for the day in file names; UTC if the zone
// database is missing.
var oslo = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Oslo"); err == nil {
		return l
	}
	return time.UTC
}()

// fileMeta describes a list file in its document properties.
type fileMeta struct {
	role    string
	created time.Time
}

// MaxSheetRows is Excel's row limit per sheet (header included).
const MaxSheetRows = 1048576

// sheetName is the name of sheet n (from 1).
func sheetName(n int) string {
	if n == 1 {
		return "Innbyggerliste"
	}
	return "Innbyggerliste " + strconv.Itoa(n)
}

// fileWriter writes a list's rows to an open file; Close finishes the
// format but neither syncs nor closes the file.
type fileWriter interface {
	Row(cells []cell) error
	Close() error
}

func newFileWriter(format string, f *os.File, headers []string, sheetRows int, meta fileMeta) (fileWriter, error) {
	switch format {
	case FormatCSV:
		return newCSVWriter(f, headers, ';')
	case FormatCSVComma:
		return newCSVWriter(f, headers, ',')
	}
	return newXLSXWriter(f, headers, sheetRows, meta)
}

// csvWriter writes UTF-8 with a byte-order mark so that Excel reads æøå;
// dates are ISO 8601, which Excel reads as dates in every locale.
type csvWriter struct {
	buf *bufio.Writer
	w   *csv.Writer
	rec []string
}

func newCSVWriter(f io.Writer, headers []string, separator rune) (*csvWriter, error) {
	buf := bufio.NewWriterSize(f, 256<<10)
	if _, err := buf.WriteString("\uFEFF"); err != nil {
		return nil, err
	}
	w := &csvWriter{buf: buf, w: csv.NewWriter(buf), rec: make([]string, len(headers))}
	w.w.Comma = separator
	return w, w.w.Write(headers)
}

func (w *csvWriter) Row(cells []cell) error {
	for i, c := range cells {
		if !c.date.IsZero() {
			w.rec[i] = c.date.Format(time.DateOnly)
		} else {
			w.rec[i] = c.s
		}
	}
	return w.w.Write(w.rec)
}

func (w *csvWriter) Close() error {
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
}

// xlsxWriter streams rows through excelize's StreamWriter, starting a new
// sheet when one is full. Every sheet has a bold header row that stays in
// view, column widths for its content and an autofilter. The sheet XML is
// buffered by excelize in temp files beside the list file; the zip is
// written straight to the file (see Close).
type xlsxWriter struct {
	out       *os.File
	f         *excelize.File
	sw        *excelize.StreamWriter
	headers   []any // header cells, bold
	widths    []float64
	dateStyle int
	sheetRows int // rows per sheet, header included
	sheet     int
	r         int // last row written on the current sheet
	vals      []any
}

func newXLSXWriter(out *os.File, headers []string, sheetRows int, meta fileMeta) (*xlsxWriter, error) {
	if sheetRows < 2 {
		sheetRows = MaxSheetRows
	}
	f := excelize.NewFile(excelize.Options{TmpDir: dirOf(out.Name())})
	w := &xlsxWriter{out: out, f: f, sheetRows: sheetRows, vals: make([]any, len(headers))}
	if err := w.setUp(headers, meta); err != nil {
		_ = f.Close()
		return nil, err
	}
	return w, nil
}

// setUp makes the styles, the header row and the document properties (by
// default excelize names "xuri" as the author of a file made in 2006), then
// starts the first sheet.
func (w *xlsxWriter) setUp(headers []string, meta fileMeta) error {
	var err error
	if w.dateStyle, err = w.f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: ptr("dd.mm.yyyy")}); err != nil {
		return err
	}
	headerStyle, err := w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Border:    []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}})
	if err != nil {
		return err
	}
	for _, h := range headers {
		w.headers = append(w.headers, excelize.Cell{StyleID: headerStyle, Value: h})
		w.widths = append(w.widths, columnWidth(h))
	}
	created := meta.created.UTC().Format(time.RFC3339)
	title := "Innbyggerliste"
	if meta.role != "" {
		title += " – " + meta.role
	}
	if err := w.f.SetDocProps(&excelize.DocProperties{
		Title: title, Subject: "Innbyggerliste fra Folkeregisteret", Creator: "folkevakt", LastModifiedBy: "folkevakt",
		Description: "Utdrag fra Folkeregisteret laget i rollen " + meta.role + ". Inneholder personopplysninger.",
		Keywords:    "innbyggerliste; folkeregisteret", Language: "nb-NO", Created: created, Modified: created,
	}); err != nil {
		return err
	}
	if err := w.f.SetAppProps(&excelize.AppProperties{Application: "folkevakt"}); err != nil {
		return err
	}
	return w.nextSheet()
}

// columnWidth is a column's width in characters: room for its usual
// content, and at least its header's longest word (the header wraps) plus
// the autofilter button.
func columnWidth(header string) float64 {
	h := strings.ToLower(header)
	content := 14.0
	switch {
	case h == "adresse" || strings.HasSuffix(h, "adresse") || h == "familierelasjoner" || h == "foreldreansvar":
		content = 34
	case strings.HasSuffix(h, "postnummer") || strings.HasSuffix(h, "kommunenummer") || h == "kjønn":
		content = 10
	case strings.HasSuffix(h, "dato"):
		content = 12
	case strings.HasSuffix(h, "poststed") || strings.HasSuffix(h, "navn"):
		content = 20
	}
	longest := 0
	for _, word := range strings.Fields(header) {
		longest = max(longest, utf8.RuneCountInString(word))
	}
	return max(content, float64(longest)+4)
}

func ptr[T any](v T) *T { return &v }

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i]
		}
	}
	return "."
}

func (w *xlsxWriter) nextSheet() error {
	if w.sw != nil {
		if err := w.finishSheet(); err != nil {
			return err
		}
	}
	w.sheet++
	name := sheetName(w.sheet)
	if w.sheet == 1 {
		if err := w.f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else if _, err := w.f.NewSheet(name); err != nil {
		return err
	}
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	w.sw, w.r = sw, 1
	for i, width := range w.widths {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return sw.SetRow("A1", w.headers)
}

func (w *xlsxWriter) Row(cells []cell) error {
	if w.r == w.sheetRows {
		if err := w.nextSheet(); err != nil {
			return err
		}
	}
	for i, c := range cells {
		switch {
		case !c.date.IsZero():
			w.vals[i] = excelize.Cell{StyleID: w.dateStyle, Value: c.date}
		case c.s == "":
			w.vals[i] = nil
		default:
			w.vals[i] = c.s
		}
	}
	w.r++
	ref, err := excelize.CoordinatesToCellName(1, w.r)
	if err != nil {
		return err
	}
	return w.sw.SetRow(ref, w.vals)
}

// finishSheet puts an autofilter over the current sheet's header and rows
// and flushes it. The filter goes into the worksheet the stream writer
// holds, so it must be set before Flush writes that out.
func (w *xlsxWriter) finishSheet() error {
	last, err := excelize.CoordinatesToCellName(max(len(w.headers), 1), w.r)
	if err != nil {
		return err
	}
	if err := w.f.AutoFilter(sheetName(w.sheet), "A1:"+last, nil); err != nil {
		return err
	}
	return w.sw.Flush()
}

// Close writes the workbook. excelize's Write assembles the whole zip in a
// bytes.Buffer, which would grow with the list; its ZipWriter hook lets the
// archive go straight to the file instead, so memory stays flat.
func (w *xlsxWriter) Close() error {
	defer w.f.Close() // removes excelize's temp files
	if err := w.finishSheet(); err != nil {
		return err
	}
	var zw *zip.Writer
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw = zip.NewWriter(w.out)
		return zw
	})
	if err := w.f.Write(io.Discard); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if zw == nil {
		return fmt.Errorf("write xlsx: zip writer not used")
	}
	return nil
}
