package ingest

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestWithoutMember(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"a":1,"body":"x","c":2}`, `{"a":1,"c":2}`},
		{`{"a":1,"body":"x"}`, `{"a":1}`},
		{`{"body":"x","a":1}`, `{"a":1}`},
		{`{"body":"x"}`, `{}`},
		{`{"a":{"body":"nested"},"b":"body"}`, `{"a":{"body":"nested"},"b":"body"}`},
		{`{"a":"\"body\"","body": "q\"},{" , "z":[1,{"body":2}]}`, `{"a":"\"body\"", "z":[1,{"body":2}]}`},
		{"{\n  \"body\" : null,\n  \"x\": 1\n}", "{\n  \n  \"x\": 1\n}"},
	}
	for _, tc := range tests {
		got := withoutMember([]byte(tc.in), "body")
		if string(got) != tc.want {
			t.Errorf("withoutMember(%s) = %s, want %s", tc.in, got, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("withoutMember(%s) = %s: not valid JSON", tc.in, got)
		}
	}
}

func TestRecordReaderSkipsNonObjectsInArrays(t *testing.T) {
	t.Parallel()
	in := "[1,2,3]\n[\"s\", [4, {\"x\": 1}], {\"number\": 1}]\n{\"number\": 2}\n"
	d := newRecordReader(strings.NewReader(in))
	var objs, bad int
	for {
		_, _, err := d.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *syntaxError
			if !errors.As(err, &se) || se.fatal {
				t.Fatalf("unexpected error %v", err)
			}
			bad++
			continue
		}
		objs++
	}
	if objs != 2 || bad != 2 {
		t.Fatalf("objects %d, bad %d; want 2 and 2", objs, bad)
	}
}
