package llmfake

import (
	"encoding/json"
	"strings"
)

type evSource struct {
	N     int    `json:"n"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

type evCluster struct {
	Signature string     `json:"error_signature"`
	Sources   []evSource `json:"sources"`
}

// Auto answers errata's requests with valid JSON derived from the evidence,
// so that tests can check the model's text flows through:
//
//   - cluster_title: "Model title: <signature>" and a description;
//   - page_prose: one claim per section, citing the first source;
//   - classification: the first allowed topic and category;
//   - same_error: same when both signatures are equal;
//   - check: {"ok": true}.
func Auto(req Request) Reply {
	ev := req.Evidence()
	switch req.Kind() {
	case "cluster_title":
		var c evCluster
		_ = json.Unmarshal(ev, &c)
		return JSON(map[string]string{
			"title":       "Model title: " + clip(c.Signature, 60),
			"description": "Model description of " + clip(c.Signature, 100) + ".",
		})
	case "page_prose":
		var c evCluster
		_ = json.Unmarshal(ev, &c)
		n := 1
		if len(c.Sources) > 0 {
			n = c.Sources[0].N
		}
		claim := func(text string) []map[string]any {
			return []map[string]any{{"text": text, "sources": []int{n}}}
		}
		sig := clip(c.Signature, 80)
		return JSON(map[string]any{
			"meaning": claim("Model says the error " + sig + " means the operation failed."),
			"why":     claim("Model says it happens under the conditions reporters describe."),
			"causes":  claim("Model says reporters traced it to their setup."),
			"fixes":   claim("Model says reporters fixed it by changing their setup."),
		})
	case "classification":
		return JSON(map[string]string{
			"topic":    firstEnum(req, "topic"),
			"category": firstEnum(req, "category"),
			"reason":   "Model reason.",
		})
	case "same_error":
		var pair map[string]evCluster
		_ = json.Unmarshal(ev, &pair)
		same := pair["a"].Signature != "" && pair["a"].Signature == pair["b"].Signature
		return JSON(map[string]any{"same": same, "reason": "Model compared the signatures."})
	case "check":
		return JSON(map[string]bool{"ok": true})
	}
	return Reply{Content: "I can only answer errata's questions."}
}

// firstEnum returns the first allowed value other than "none" of a string
// property in the request's schema.
func firstEnum(req Request, prop string) string {
	var raw json.RawMessage
	if req.ResponseFormat != nil && req.ResponseFormat.JSONSchema != nil {
		raw = req.ResponseFormat.JSONSchema.Schema
	} else {
		s := req.System()
		if i := strings.LastIndex(s, "\n{"); i >= 0 {
			raw = json.RawMessage(s[i+1:])
		}
	}
	var schema struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &schema)
	for _, v := range schema.Properties[prop].Enum {
		if v != "none" {
			return v
		}
	}
	return "none"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
