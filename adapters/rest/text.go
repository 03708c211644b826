package rest

import (
	"encoding/json"
	"errors"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
)

// strictJSON is the API's JSON format: bodies are decoded by encoding/json once their text is known to be
// what the client meant. A body that is not valid UTF-8, or that escapes half of a UTF-16 surrogate pair
// ("\ud800" alone), is refused (400, location body): encoding/json would quietly turn either into U+FFFD, and
// scalechat would store text its client never sent. It runs inside Huma's decoding, on the body Huma read
// within the operation's size limit, so it adds no read of its own.
var strictJSON = huma.Format{
	Marshal: huma.DefaultJSONFormat.Marshal,
	Unmarshal: func(data []byte, v any) error {
		if msg := schema.TextProblem(data); msg != "" {
			return errors.New(msg)
		}
		return json.Unmarshal(data, v)
	},
}
