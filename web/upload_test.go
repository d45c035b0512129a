package web_test

import (
	"reflect"
	"testing"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

func TestUploadFramingRoundTrip(t *testing.T) {
	in := []app.FileUpload{
		{Path: "a/b.go", Fingerprint: "ab12", Language: "go", Size: 42, Generated: true, Content: []byte{1, 2, 3},
			Symbols: []app.EncryptedSymbol{{Name: "F", Kind: "function", Line: 3, EndLine: 9, Signature: []byte("sig"), Doc: []byte("doc"), Vector: []int8{-128, -1, 0, 1, 127}},
				{Name: "T", Kind: "struct", Container: "", Line: 10, EndLine: 12}}},
		{Path: "README", Fingerprint: "cd", Content: []byte("x")},
	}
	out, err := web.UnmarshalUpload(web.MarshalUpload(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
	}
	// Version 1 bodies (no vector field) are still read.
	v1 := []byte("OPTQ\x01\x01\x01a\x02ab\x02go\x05\x00\x01x\x01\x01F\x08function\x00\x03\x04\x00\x00")
	old, err := web.UnmarshalUpload(v1)
	if err != nil || len(old) != 1 || old[0].Symbols[0].Name != "F" || old[0].Symbols[0].Vector != nil || old[0].Symbols[0].EndLine != 4 {
		t.Fatalf("version 1 body: %+v, %v", old, err)
	}
	b := web.MarshalUpload(in)
	for _, bad := range [][]byte{nil, []byte("OPTQ"), []byte("JUNK\x01\x00"), b[:len(b)-1], append(b, 0)} {
		if _, err := web.UnmarshalUpload(bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("malformed body %q accepted: %v", bad, err)
		}
	}
}

func FuzzUnmarshalUpload(f *testing.F) {
	f.Add(web.MarshalUpload([]app.FileUpload{{Path: "a", Content: []byte("x"), Symbols: []app.EncryptedSymbol{{Name: "n", Kind: "k", Line: 1, EndLine: 1, Vector: []int8{3, -4}}}}}))
	f.Add([]byte("OPTQ\x01\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := web.UnmarshalUpload(b)
		if err != nil {
			return
		}
		// What decodes survives a round trip unchanged (the input may use
		// overlong varints, so compare decoded values, not bytes).
		again, err := web.UnmarshalUpload(web.MarshalUpload(files))
		if err != nil || !reflect.DeepEqual(normalize(again), normalize(files)) {
			t.Fatalf("round trip differs: %v", err)
		}
	})
}

// normalize maps empty slices to nil so that DeepEqual compares content.
func normalize(files []app.FileUpload) []app.FileUpload {
	for i := range files {
		if len(files[i].Content) == 0 {
			files[i].Content = nil
		}
		if len(files[i].Symbols) == 0 {
			files[i].Symbols = nil
		}
	}
	return files
}
