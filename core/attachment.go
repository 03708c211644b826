package core

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Attachment is a file uploaded into a conversation. It is unattached (MessageID "") until a message links it;
// unattached uploads older than the orphan TTL are swept.
type Attachment struct {
	ID             string
	ConversationID string
	UploaderID     string
	Name           string // sanitized (SanitizeFileName)
	ContentType    string // sniffed from the bytes (SniffContentType), never the client's claim
	Size           int64
	Width, Height  int  // pixel dimensions of images, else 0
	Thumbnail      bool // a thumbnail blob exists
	MessageID      string
	CreatedAt      time.Time
}

// Attachment limits and defaults.
const (
	MaxAttachmentsPerMessage = 10       // files one message may carry
	MaxFileNameBytes         = 200      // longest sanitized file name, in bytes
	DefaultMaxUploadBytes    = 10 << 20 // largest upload by default
	maxExtensionBytes        = 16       // longer "extensions" are part of the name
	SniffBytes               = 512      // how many leading bytes SniffContentType looks at
)

// DefaultUploadTypes are the content types accepted by default.
var DefaultUploadTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
	"text/plain", "application/zip"}

// BlobKey is the key of an attachment's content in the blob store; ThumbKey that of its thumbnail.
func BlobKey(id string) string  { return id + "/content" }
func ThumbKey(id string) string { return id + "/thumb" }

// windowsReserved are device names Windows will not open as files, whatever the extension.
var windowsReserved = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true}

// SanitizeFileName makes a client's file name safe to store and to offer back in a download: it keeps the last
// path element, drops invalid UTF-8, control and format characters (bidirectional overrides, zero-width
// characters), replaces characters Windows forbids in names, trims leading dots and surrounding spaces and
// trailing dots, renames reserved device names (CON, NUL, COM1, ...), and cuts the name to MaxFileNameBytes on a
// rune boundary while keeping its extension. The result is never empty: "file" stands for nothing left.
func SanitizeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(name); i += w {
		r, size := utf8.DecodeRuneInString(name[i:])
		w = size
		switch {
		case r == utf8.RuneError && size <= 1:
		case r == '\t' || r == '\n' || r == '\r' || r == '\u00a0':
			b.WriteRune(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeft(strings.TrimSpace(b.String()), ".")
	name = strings.TrimRight(strings.TrimSpace(name), ". ")
	if name == "" {
		return "file"
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= maxExtensionBytes {
		stem, ext = name[:i], name[i:]
	}
	if windowsReserved[strings.ToUpper(strings.TrimRight(strings.SplitN(stem, ".", 2)[0], " "))] {
		stem = "_" + stem
	}
	if len(stem)+len(ext) > MaxFileNameBytes {
		cut := MaxFileNameBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = strings.TrimRight(stem[:cut], ". ")
		if stem == "" {
			stem = "file"
		}
	}
	return stem + ext
}

// Extension returns the lowercased extension of a file name (with its dot), or "".
func Extension(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > maxExtensionBytes {
		return ""
	}
	return strings.ToLower(name[i:])
}

// SniffContentType names the type of a file from its first bytes (at most SniffBytes are looked at): the
// WHATWG sniffing of net/http, plus executables (ELF, PE, Mach-O, scripts with #!) which it calls
// application/octet-stream. Parameters (charset) are dropped.
func SniffContentType(head []byte) string {
	if len(head) > SniffBytes {
		head = head[:SniffBytes]
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "application/x-elf"
	case bytes.HasPrefix(head, []byte("MZ")):
		return "application/x-msdownload"
	case bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xce}), bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa, 0xcf}),
		bytes.HasPrefix(head, []byte{0xce, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(head, []byte{0xcf, 0xfa, 0xed, 0xfe}),
		bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return "application/x-mach-binary"
	case bytes.HasPrefix(head, []byte("#!")):
		return "text/x-shellscript"
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return "image/webp"
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(ct)
}

// extensionTypes maps the extensions whose meaning is settled to the sniffed types that may carry them. A file
// whose extension is listed but whose sniffed type is not among its types is disguised and refused: a browser or
// desktop would open it by its name as something it is not.
var extensionTypes = map[string][]string{
	".png": {"image/png"}, ".apng": {"image/png"},
	".jpg": {"image/jpeg"}, ".jpeg": {"image/jpeg"}, ".jpe": {"image/jpeg"}, ".jfif": {"image/jpeg"},
	".gif":  {"image/gif"},
	".webp": {"image/webp"},
	".bmp":  {"image/bmp"},
	".ico":  {"image/x-icon"},
	".pdf":  {"application/pdf"},
	".txt":  {"text/plain"}, ".text": {"text/plain"}, ".log": {"text/plain"}, ".md": {"text/plain"}, ".csv": {"text/plain"},
	".zip": {"application/zip"},
	".gz":  {"application/x-gzip"}, ".tgz": {"application/x-gzip"},
	".rar": {"application/x-rar-compressed"},
	".htm": {"text/html"}, ".html": {"text/html"}, ".xhtml": {"text/html", "text/xml"}, ".svg": {"text/xml"},
	".xml": {"text/xml"},
	".exe": {"application/x-msdownload"}, ".dll": {"application/x-msdownload"}, ".scr": {"application/x-msdownload"},
	".com": {"application/x-msdownload"}, ".sh": {"text/x-shellscript"},
	".mp3": {"audio/mpeg"}, ".mp4": {"video/mp4"}, ".webm": {"video/webm"}, ".ogg": {"application/ogg"},
	".wav": {"audio/wave"},
}

// UploadPolicy says what may be uploaded: the largest size and the accepted (sniffed) content types.
type UploadPolicy struct {
	MaxBytes int64    // 0: DefaultMaxUploadBytes
	Types    []string // nil: DefaultUploadTypes
}

// WithDefaults fills in zero fields.
func (p UploadPolicy) WithDefaults() UploadPolicy {
	if p.MaxBytes == 0 {
		p.MaxBytes = DefaultMaxUploadBytes
	}
	if p.Types == nil {
		p.Types = slices.Clone(DefaultUploadTypes)
	}
	return p
}

// ParseUploadTypes reads a comma-separated list of content types (type/subtype, no parameters).
func ParseUploadTypes(spec string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(spec, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		major, minor, ok := strings.Cut(t, "/")
		if !ok || major == "" || minor == "" || strings.ContainsAny(t, " ;*") {
			return nil, fmt.Errorf("content type %q: want type/subtype, e.g. image/png", t)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no content types given")
	}
	return out, nil
}

// CheckSize refuses an empty upload (invalid_argument) or one larger than MaxBytes (too_large).
func (p UploadPolicy) CheckSize(size int64) error {
	p = p.WithDefaults()
	if size <= 0 {
		return Invalid("file", "the file is empty")
	}
	if size > p.MaxBytes {
		return &Error{Code: CodeTooLarge, Field: "file",
			Message: fmt.Sprintf("the file is %d bytes; the largest accepted is %d bytes", size, p.MaxBytes)}
	}
	return nil
}

// CheckType refuses a sniffed type outside the allow-list, and a name whose extension contradicts the sniffed
// type (a disguised file, such as an HTML page or a program named cat.png). Both are invalid_argument.
func (p UploadPolicy) CheckType(name, sniffed string) error {
	p = p.WithDefaults()
	ext := Extension(name)
	if claims, ok := extensionTypes[ext]; ok && !slices.Contains(claims, sniffed) {
		return Invalid("file", "the file's content is %s, which its name's extension %s disguises; rename or "+
			"convert it", sniffed, ext)
	}
	if !slices.Contains(p.Types, sniffed) {
		return Invalid("file", "files of type %s are not accepted (accepted: %s)", sniffed, strings.Join(p.Types, ", "))
	}
	return nil
}

// IsImage reports whether thumbnails are made for files of this (sniffed) type.
func IsImage(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// AttachmentRefused is the error of a link to a message that names an attachment which does not exist, belongs
// to another conversation or uploader, or is attached to another message: one message, whichever the cause, so
// that nobody learns of others' attachments.
func AttachmentRefused(id string) error {
	return Invalid("attachmentIds", "attachment %s does not exist, is not yours to attach here, or is attached already", id)
}

// CheckAttachable checks, for AttachToMessage, that every id names one of found (the stored attachments among
// ids) that belongs to conversationID and uploaderID and is unattached or attached to messageID already.
func CheckAttachable(found []Attachment, messageID, conversationID, uploaderID string, ids []string) error {
	byID := make(map[string]Attachment, len(found))
	for _, a := range found {
		byID[a.ID] = a
	}
	for _, id := range ids {
		a, ok := byID[id]
		if !ok || a.ConversationID != conversationID || a.UploaderID != uploaderID ||
			(a.MessageID != "" && a.MessageID != messageID) {
			return AttachmentRefused(id)
		}
	}
	return nil
}

// MaxBlobKeyBytes bounds a blob key.
const MaxBlobKeyBytes = 1024

// ValidateBlobKey checks a blob store key: one or more '/'-separated segments of ASCII letters, digits, '-', '_'
// and '.', none empty or starting with '.', at most MaxBlobKeyBytes in all. Such a key is a safe relative path.
func ValidateBlobKey(key string) error {
	if key == "" || len(key) > MaxBlobKeyBytes {
		return Invalid("key", "a blob key must be 1 to %d bytes", MaxBlobKeyBytes)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg[0] == '.' {
			return Invalid("key", "blob key %q has an empty segment or one starting with a dot", key)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				return Invalid("key", "blob key %q has a character outside [A-Za-z0-9._-/]", key)
			}
		}
	}
	return nil
}
