package lists

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// File formats.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
)

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

func newFileWriter(format string, f *os.File, headers []string, sheetRows int) (fileWriter, error) {
	if format == FormatCSV {
		return newCSVWriter(f, headers)
	}
	return newXLSXWriter(f, headers, sheetRows)
}

// csvWriter writes UTF-8 with a byte-order mark so that Excel reads æøå;
// dates are ISO 8601.
type csvWriter struct {
	buf *bufio.Writer
	w   *csv.Writer
	rec []string
}

func newCSVWriter(f io.Writer, headers []string) (*csvWriter, error) {
	buf := bufio.NewWriterSize(f, 256<<10)
	if _, err := buf.WriteString("\uFEFF"); err != nil {
		return nil, err
	}
	w := &csvWriter{buf: buf, w: csv.NewWriter(buf), rec: make([]string, len(headers))}
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
// sheet when one is full. The sheet XML is buffered by excelize in temp files
// beside the list file; the zip is written straight to the file (see Close).
type xlsxWriter struct {
	out       *os.File
	f         *excelize.File
	sw        *excelize.StreamWriter
	headers   []any
	dateStyle int
	sheetRows int // rows per sheet, header included
	sheet     int
	r         int // last row written on the current sheet
	vals      []any
}

func newXLSXWriter(out *os.File, headers []string, sheetRows int) (*xlsxWriter, error) {
	if sheetRows < 2 {
		sheetRows = MaxSheetRows
	}
	f := excelize.NewFile(excelize.Options{TmpDir: dirOf(out.Name())})
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: ptr("dd.mm.yyyy")})
	if err != nil {
		return nil, err
	}
	w := &xlsxWriter{out: out, f: f, dateStyle: style, sheetRows: sheetRows, vals: make([]any, len(headers))}
	for _, h := range headers {
		w.headers = append(w.headers, h)
	}
	if err := w.nextSheet(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return w, nil
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
		if err := w.sw.Flush(); err != nil {
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

// Close writes the workbook. excelize's Write assembles the whole zip in a
// bytes.Buffer, which would grow with the list; its ZipWriter hook lets the
// archive go straight to the file instead, so memory stays flat.
func (w *xlsxWriter) Close() error {
	defer w.f.Close() // removes excelize's temp files
	if err := w.sw.Flush(); err != nil {
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
