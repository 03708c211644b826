package core_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/scalechat/scalechat/core"
)

func TestSanitizeFileName(t *testing.T) {
	long := strings.Repeat("é", 150) + ".pdf" // 300 bytes of stem
	for in, want := range map[string]string{
		"report.pdf":                   "report.pdf",
		"../../etc/passwd":             "passwd",
		`C:\Users\x\evil.exe`:          "evil.exe",
		"a\x00b\x1fc\x7f.txt":          "abc.txt",
		"invoice\u202efdp.exe":         "invoicefdp.exe",
		"zero\u200bwidth.png":          "zerowidth.png",
		"CON.txt":                      "_CON.txt",
		"nul":                          "_nul",
		"com1.tar.gz":                  "_com1.tar.gz",
		"  ..hidden.txt. ":             "hidden.txt",
		"":                             "file",
		"...":                          "file",
		"/":                            "file",
		"\u202e":                       "file",
		`what?<is>"this".txt`:          "what__is__this_.txt",
		"tab\there.txt":                "tab here.txt",
		"bad\xff\xfeutf8.txt":          "badutf8.txt",
		"conference notes.md":          "conference notes.md",
		"x." + strings.Repeat("y", 30): "x." + strings.Repeat("y", 30),
	} {
		assert.Equal(t, want, core.SanitizeFileName(in), "%q", in)
	}
	got := core.SanitizeFileName(long)
	assert.LessOrEqual(t, len(got), core.MaxFileNameBytes)
	assert.True(t, utf8.ValidString(got), "cut on a rune boundary")
	assert.True(t, strings.HasSuffix(got, ".pdf"), "the extension stays: %q", got)
	assert.Equal(t, strings.Repeat("é", 98)+".pdf", got)
}

func TestSniffContentType(t *testing.T) {
	for want, head := range map[string]string{
		"image/png":                "\x89PNG\r\n\x1a\n\x00\x00",
		"image/jpeg":               "\xff\xd8\xff\xe0",
		"image/gif":                "GIF89a....",
		"image/webp":               "RIFF\x10\x00\x00\x00WEBPVP8 ",
		"application/pdf":          "%PDF-1.7",
		"application/zip":          "PK\x03\x04",
		"text/plain":               "hello world",
		"text/html":                "<!DOCTYPE html><p>x",
		"application/x-elf":        "\x7fELF\x02",
		"application/x-msdownload": "MZ\x90\x00",
		"text/x-shellscript":       "#!/bin/sh\n",
	} {
		assert.Equal(t, want, core.SniffContentType([]byte(head)), want)
	}
}

func TestUploadPolicy(t *testing.T) {
	p := core.UploadPolicy{}
	assert.NoError(t, p.CheckType("a.png", "image/png"))
	assert.NoError(t, p.CheckType("A.JPG", "image/jpeg"))
	assert.NoError(t, p.CheckType("report.docx", "application/zip"), "an extension we do not judge")
	assert.NoError(t, p.CheckType("noext", "text/plain"))
	for _, c := range [][2]string{{"cat.png", "text/html"}, {"cat.png", "application/x-elf"}, {"a.txt", "image/png"},
		{"a.pdf", "application/zip"}} {
		err := p.CheckType(c[0], c[1])
		assert.ErrorIs(t, err, core.ErrInvalidArgument, c[0])
		assert.ErrorContains(t, err, "disguises", c[0])
	}
	assert.ErrorContains(t, p.CheckType("page.html", "text/html"), "not accepted")
	assert.ErrorContains(t, p.CheckType("x", "application/x-msdownload"), "not accepted")
	only := core.UploadPolicy{Types: []string{"text/plain"}}
	assert.ErrorIs(t, only.CheckType("a.png", "image/png"), core.ErrInvalidArgument)
	assert.NoError(t, p.CheckSize(core.DefaultMaxUploadBytes))
	assert.ErrorIs(t, p.CheckSize(core.DefaultMaxUploadBytes+1), core.ErrTooLarge)
	assert.ErrorIs(t, p.CheckSize(0), core.ErrInvalidArgument)
	types, err := core.ParseUploadTypes(" image/png, TEXT/plain ")
	assert.NoError(t, err)
	assert.Equal(t, []string{"image/png", "text/plain"}, types)
	for _, bad := range []string{"", "image", "image/*", "text/plain; charset=utf-8"} {
		_, err := core.ParseUploadTypes(bad)
		assert.Error(t, err, bad)
	}
}

func TestValidateBlobKey(t *testing.T) {
	for _, ok := range []string{"a", "a1/content", "0192-ab_c.d/thumb"} {
		assert.NoError(t, core.ValidateBlobKey(ok), ok)
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "..", "../a", "a/.x", "a b", "a\\b", "ü"} {
		assert.ErrorIs(t, core.ValidateBlobKey(bad), core.ErrInvalidArgument, bad)
	}
}
