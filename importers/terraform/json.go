package terraform

import (
	"bytes"
	"encoding/json"

	"github.com/ripple-cmdb/ripple/importers/feed"
)

// members walks the members of a JSON object already known to be valid
// (it was read whole by the streaming decoder), giving each value's offset
// in the file: base is the object's own offset.
func members(raw json.RawMessage, base int64, fn func(key string, v json.RawMessage, at int64) error) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil {
		return feed.Inputf("", "", "invalid JSON: %v", err)
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return feed.Inputf("", "", "invalid JSON: %v", err)
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return feed.Inputf("", "", "invalid JSON: %v", err)
		}
		if err := fn(key, v, base+d.InputOffset()-int64(len(v))); err != nil {
			return err
		}
	}
	return nil
}

// elements walks the elements of a valid JSON array like members.
func elements(raw json.RawMessage, base int64, fn func(i int, v json.RawMessage, at int64) error) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil {
		return feed.Inputf("", "", "invalid JSON: %v", err)
	}
	for i := 0; d.More(); i++ {
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return feed.Inputf("", "", "invalid JSON: %v", err)
		}
		if err := fn(i, v, base+d.InputOffset()-int64(len(v))); err != nil {
			return err
		}
	}
	return nil
}
