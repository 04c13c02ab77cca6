package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"strings"

	"github.com/ripple-cmdb/ripple/graph"
	"github.com/ripple-cmdb/ripple/importers"
	"github.com/ripple-cmdb/ripple/importers/feed"
	"github.com/ripple-cmdb/ripple/importers/formats"
)

// A multipart upload holds "file" parts, imported as one run in the order
// sent, and two optional settings parts, "mapping" (csv, json) and
// "policy", in any order: curl sends -F parts in the order they are typed.
//
// File parts are parsed as they arrive once the parser can be built, which
// for csv and json needs the mapping; file parts that come before their
// mapping are spooled to temporary files (bounded by the upload limit, the
// body's) and parsed when it arrives. The policy is only needed to plan,
// after every part is read, so a policy part may come anywhere without
// spooling anything. Settings that come first are checked before the run
// is recorded (400 naming the field); later ones fail the run (422) with
// the field at fault.
type multipartUpload struct {
	mr      *multipart.Reader
	format  formats.Format
	mapping io.Reader
	policy  *importers.Policy
	// spooled are the file parts read before the parser could be built;
	// first is the file part the run starts streaming with.
	spooled []spooledPart
	first   *multipart.Part
	// parts counts the parts read, files the file parts (for names and
	// error locations); names are the file names, in order.
	parts, files int
	names        []string
}

type spooledPart struct {
	name string
	file *os.File
}

// newMultipartSource reads the parts up to the first file part it can
// parse, builds the parser, and returns a reader that parses the spooled
// parts and then streams the rest.
func newMultipartSource(p importParams, mr *multipart.Reader) (importSource, error) {
	if p.fileName != "" {
		return importSource{cleanup: func() {}}, graph.Invalid("fileName", "fileName names a raw body; multipart parts carry their own file names")
	}
	f, err := formats.Lookup(p.format)
	if err != nil {
		return importSource{cleanup: func() {}}, err
	}
	u := &multipartUpload{mr: mr, format: f, names: []string{}}
	if p.mapping != nil {
		u.mapping = strings.NewReader(*p.mapping)
	}
	for u.first == nil {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return importSource{cleanup: u.cleanup}, graph.Invalid("body", "malformed multipart body: %v", err)
		}
		u.parts++
		switch part.FormName() {
		case "file":
			if f.TakesMapping && u.mapping == nil {
				if err := u.spool(part); err != nil {
					return importSource{cleanup: u.cleanup}, err
				}
				continue
			}
			u.first = part
		case "mapping", "policy":
			if err := u.setting(part); err != nil {
				return importSource{cleanup: u.cleanup}, err
			}
		default:
			return importSource{cleanup: u.cleanup}, graph.Invalid(part.FormName(),
				"unexpected part %q (want file parts, and optionally a mapping part and a policy part)", part.FormName())
		}
	}
	if u.first == nil && len(u.spooled) == 0 {
		return importSource{cleanup: u.cleanup}, graph.Invalid("file", "the multipart body has no file part")
	}
	prep, err := formats.Prepare(p.spec(u.mapping))
	if err != nil {
		return importSource{cleanup: u.cleanup}, err
	}
	req := prep.Request
	req.Policy = func() *importers.Policy { return u.policy }
	return importSource{req: req, read: u.read(prep.Parser), names: &u.names, cleanup: u.cleanup}, nil
}

// setting reads a mapping or policy part.
func (u *multipartUpload) setting(part *multipart.Part) error {
	name := part.FormName()
	b, err := io.ReadAll(io.LimitReader(part, maxSettingBytes+1))
	if err != nil {
		return graph.Invalid(name, "read the %s part: %v", name, err)
	}
	if len(b) > maxSettingBytes {
		return graph.Invalid(name, "the %s part is larger than %d bytes", name, maxSettingBytes)
	}
	switch name {
	case "mapping":
		if u.mapping != nil {
			return graph.Invalid("mapping", "give the mapping once (a mapping part or the mapping parameter)")
		}
		if err := u.format.CheckMapping(true); err != nil {
			return err
		}
		u.mapping = bytes.NewReader(b)
	default:
		if u.policy != nil {
			return graph.Invalid("policy", "give the policy once")
		}
		pol, err := formats.LoadPolicy(bytes.NewReader(b))
		if err != nil {
			// The policy names its own keys ("retireAfterRuns"); say they
			// are the policy part's.
			if f := graph.ErrorField(err); f != "" && f != "policy" {
				return graph.RenameField(err, f, "policy."+f)
			}
			return err
		}
		u.policy = &pol
	}
	return nil
}

// spool copies a file part to a temporary file, to be parsed once the
// parser can be built. The body's limit bounds what is spooled.
func (u *multipartUpload) spool(part *multipart.Part) error {
	name := u.fileName(part)
	tmp, err := os.CreateTemp("", "ripple-upload-*")
	if err != nil {
		return graph.Internal(err, "spool the file part %s", name)
	}
	u.spooled = append(u.spooled, spooledPart{name: name, file: tmp})
	if _, err := io.Copy(tmp, part); err != nil {
		return graph.Invalid("file", "read the file part %s: %v", name, err)
	}
	return nil
}

// fileName names the next file part: its file name, or file[i].
func (u *multipartUpload) fileName(part *multipart.Part) string {
	name := part.FileName()
	if name == "" {
		name = fmt.Sprintf("file[%d]", u.files)
	}
	u.files++
	return name
}

// cleanup removes the spooled parts.
func (u *multipartUpload) cleanup() {
	for _, s := range u.spooled {
		s.file.Close()
		os.Remove(s.file.Name())
	}
	u.spooled = nil
}

// parseOnly hides a parser's Finish from importers.ReadInputs, which is
// called once per part: the parser must finish once, after the last part.
type parseOnly struct{ feed.Parser }

func (u *multipartUpload) read(parser feed.Parser) importers.Read {
	parse := func(ctx context.Context, emit feed.Emitter, name string, r io.Reader) error {
		u.names = append(u.names, name)
		in := importers.Input{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
		return importers.ReadInputs(parseOnly{parser}, []importers.Input{in}, nil)(ctx, emit)
	}
	return func(ctx context.Context, emit feed.Emitter) error {
		for _, s := range u.spooled {
			if _, err := s.file.Seek(0, io.SeekStart); err != nil {
				return graph.Internal(err, "reread the spooled part %s", s.name)
			}
			if err := parse(ctx, emit, s.name, s.file); err != nil {
				return err
			}
		}
		for part := u.first; part != nil; {
			switch part.FormName() {
			case "file":
				if err := parse(ctx, emit, u.fileName(part), part); err != nil {
					return err
				}
			case "mapping", "policy":
				if err := u.setting(part); err != nil {
					return err
				}
			default:
				return &feed.InputError{At: fmt.Sprintf("part %d", u.parts), Field: part.FormName(),
					Message: fmt.Sprintf("unexpected part %q (want file parts, and optionally a mapping part and a policy part)", part.FormName())}
			}
			next, err := u.mr.NextPart()
			switch {
			case errors.Is(err, io.EOF):
				part = nil
			case err != nil:
				return &feed.InputError{At: fmt.Sprintf("after part %d", u.parts), Message: fmt.Sprintf("malformed multipart body: %v", err)}
			default:
				u.parts++
				part = next
			}
		}
		if fin, ok := parser.(feed.Finisher); ok {
			return fin.Finish(ctx, emit)
		}
		return nil
	}
}
