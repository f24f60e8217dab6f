package ingest

import (
	"encoding/json"
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
