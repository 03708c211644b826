// Package attachjson is the JSON form in which the adapters store and carry the attachments of a message (in
// log commands, fan-out envelopes, event payloads and message rows): what a message shows of each file. One
// form for all of them keeps storage names out of core and the adapters in agreement.
package attachjson

import (
	"encoding/json"
	"fmt"

	"github.com/scalechat/scalechat/core"
)

// Attachment is one attachment of a message.
type Attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
	Thumbnail   bool   `json:"thumbnail,omitempty"`
}

// From converts a message's attachments (nil for none).
func From(as []core.Attachment) []Attachment {
	var out []Attachment
	for _, a := range as {
		out = append(out, Attachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
			Width: a.Width, Height: a.Height, Thumbnail: a.Thumbnail})
	}
	return out
}

// To converts back (nil for none).
func To(ws []Attachment) []core.Attachment {
	var out []core.Attachment
	for _, w := range ws {
		out = append(out, core.Attachment{ID: w.ID, Name: w.Name, ContentType: w.ContentType, Size: w.Size,
			Width: w.Width, Height: w.Height, Thumbnail: w.Thumbnail})
	}
	return out
}

// Encode returns the stored JSON of a message's attachments, or nil (NULL) for none.
func Encode(as []core.Attachment) (*string, error) {
	if len(as) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(From(as))
	if err != nil {
		return nil, core.Wrap(core.CodeInternal, err, "cannot encode attachments")
	}
	s := string(b)
	return &s, nil
}

// Decode reads what Encode stored (nil for NULL).
func Decode(stored *string) ([]core.Attachment, error) {
	if stored == nil {
		return nil, nil
	}
	var ws []Attachment
	if err := json.Unmarshal([]byte(*stored), &ws); err != nil {
		return nil, fmt.Errorf("bad stored attachments: %w", err)
	}
	return To(ws), nil
}
