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
			Symbols: []app.EncryptedSymbol{{Name: "F", Kind: "function", Line: 3, EndLine: 9, Signature: []byte("sig"), Doc: []byte("doc")},
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
	b := web.MarshalUpload(in)
	for _, bad := range [][]byte{nil, []byte("OPTQ"), []byte("JUNK\x01\x00"), b[:len(b)-1], append(b, 0)} {
		if _, err := web.UnmarshalUpload(bad); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("malformed body %q accepted: %v", bad, err)
		}
	}
}

func FuzzUnmarshalUpload(f *testing.F) {
	f.Add(web.MarshalUpload([]app.FileUpload{{Path: "a", Content: []byte("x"), Symbols: []app.EncryptedSymbol{{Name: "n", Kind: "k", Line: 1, EndLine: 1}}}}))
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
