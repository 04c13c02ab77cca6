package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ripple-cmdb/ripple/importers/feed"
)

// Input is one named stream of a run.
type Input struct {
	Name string
	Open func() (io.ReadCloser, error)
	Size int64
}

// Files expands paths (files, or directories walked recursively for files
// whose extension is in exts, e.g. ".json") into inputs, in a stable
// order. Hidden files and directories are skipped.
func Files(paths []string, exts ...string) ([]Input, error) {
	var out []Input
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, fileInput(p, info.Size()))
			continue
		}
		var found []Input
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || (len(exts) > 0 && !slices.Contains(exts, strings.ToLower(filepath.Ext(path)))) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			found = append(found, fileInput(path, info.Size()))
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no input files (looked for %s)", p, strings.Join(exts, ", "))
		}
		slices.SortFunc(found, func(a, b Input) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, found...)
	}
	return out, nil
}

func fileInput(path string, size int64) Input {
	return Input{Name: path, Size: size, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// ReadInputs feeds every input to the parser, in order, then lets the
// parser finish. Input errors are stamped with the file they came from.
// progress, when not nil, is called with the bytes read so far.
func ReadInputs(p Parser, inputs []Input, progress func(read int64)) Read {
	return func(ctx context.Context, emit Emitter) error {
		var total int64
		for _, in := range inputs {
			if err := readOne(ctx, p, in, emit, func(n int64) {
				if progress != nil {
					progress(total + n)
				}
			}); err != nil {
				return err
			}
			total += in.Size
		}
		if f, ok := p.(feed.Finisher); ok {
			return f.Finish(ctx, emit)
		}
		return nil
	}
}

func readOne(ctx context.Context, p Parser, in Input, emit Emitter, progress func(int64)) error {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	lim := feed.LimitLines(&countingReader{r: rc, report: progress}, feed.MaxLineBytes)
	if c, ok := emit.(*collector); ok {
		c.file = in.Name
		c.files = append(c.files, in.Name)
	}
	err = p.Parse(ctx, in.Name, lim, emit)
	if le := lim.Err(); le != nil && err != nil {
		// Whatever the decoder made of the refused read (a syntax error,
		// an unexpected EOF), the overlong line is the fault.
		err = le
	}
	var ie *InputError
	if errors.As(err, &ie) && ie.File == "" {
		ie.File = in.Name
	}
	return err
}

// ProgressReader wraps r so that report is called with the number of bytes
// read so far after every read.
func ProgressReader(r io.Reader, report func(read int64)) io.Reader {
	return &countingReader{r: r, report: report}
}

type countingReader struct {
	r      io.Reader
	n      int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.report(c.n)
	return n, err
}
