package experiments

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/reslab/reslab/resnet"
)

// A Filter selects runs by their settings and results, in the small
// language of the runs screen's / prompt (and k9s's or W&B's run tables):
// space-separated terms that must all hold.
//
//	arch:resnet50 lr<1e-3 status:completed name:~flowers acc>=80% flowers
//
// A term is field, operator, value: ":" or "=" is equality (":~" contains,
// "!=" and "!~" negate them), "<", "<=", ">" and ">=" compare numbers. A
// bare word matches runs whose id, name, data, arch, mode, status or head
// contains it. Text compares without case; arch takes resnet50, r50 or 50;
// acc takes 0.8 or 80%.
type Filter struct{ terms []filterTerm }

type filterTerm struct {
	field string // "" for a bare word
	op    string
	text  string
	num   float64
}

// filterField is one field of the language: its value for a run, as a
// number when numeric is set, else as text.
type filterField struct {
	numeric bool
	value   func(r *Run) (float64, string)
}

func textField(f func(r *Run) string) filterField {
	return filterField{value: func(r *Run) (float64, string) { return 0, f(r) }}
}

func numberField(f func(r *Run) float64) filterField {
	return filterField{numeric: true, value: func(r *Run) (float64, string) { return f(r), "" }}
}

var filterFields = map[string]filterField{
	"id":      textField(func(r *Run) string { return r.ID }),
	"name":    textField(func(r *Run) string { return r.Meta.Spec.Name }),
	"data":    textField(func(r *Run) string { return r.Meta.Spec.DataName() }),
	"mode":    textField(func(r *Run) string { return string(r.Meta.Spec.Mode) }),
	"status":  textField(func(r *Run) string { return string(r.Status.State) }),
	"head":    textField(func(r *Run) string { return r.Meta.Spec.Head.String() }),
	"arch":    numberField(func(r *Run) float64 { return float64(r.Meta.Spec.Arch.Depth()) }),
	"width":   numberField(func(r *Run) float64 { return float64(r.Meta.Spec.Width) }),
	"size":    numberField(func(r *Run) float64 { return float64(r.Meta.Spec.Size) }),
	"lr":      numberField(func(r *Run) float64 { return r.Meta.Spec.LR }),
	"batch":   numberField(func(r *Run) float64 { return float64(r.Meta.Spec.Batch) }),
	"dropout": numberField(func(r *Run) float64 { return r.Meta.Spec.Dropout }),
	"seed":    numberField(func(r *Run) float64 { return float64(r.Meta.Spec.Seed) }),
	"epochs":  numberField(func(r *Run) float64 { return float64(len(r.Metrics)) }),
	"acc":     numberField(func(r *Run) float64 { a, _, _ := r.BestValues(); return a }),
	"loss":    numberField(func(r *Run) float64 { _, l, _ := r.BestValues(); return l }),
}

// FilterFields are the names a filter term can use, sorted.
func FilterFields() []string {
	var out []string
	for k := range filterFields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// filterOps in the order they are tried: longer operators first.
var filterOps = []string{":~", "!~", "<=", ">=", "!=", ":", "=", "<", ">"}

// ParseFilter reads a filter; the error names the term and what would be
// understood.
func ParseFilter(q string) (Filter, error) {
	var f Filter
	for _, word := range strings.Fields(q) {
		t, err := parseTerm(word)
		if err != nil {
			return Filter{}, err
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

func parseTerm(word string) (filterTerm, error) {
	at, op := -1, ""
	for _, o := range filterOps {
		if i := strings.Index(word, o); i > 0 && (at < 0 || i < at) {
			at, op = i, o
		}
	}
	if at < 0 {
		return filterTerm{text: strings.ToLower(word)}, nil
	}
	name, value := strings.ToLower(word[:at]), word[at+len(op):]
	fld, ok := filterFields[name]
	if !ok {
		return filterTerm{}, fmt.Errorf("filter %q: no field %q (fields: %s)", word, name, strings.Join(FilterFields(), ", "))
	}
	t := filterTerm{field: name, op: op, text: strings.ToLower(value)}
	if op == "=" {
		t.op = ":"
	}
	if !fld.numeric {
		if t.op != ":" && t.op != ":~" && t.op != "!=" && t.op != "!~" {
			return filterTerm{}, fmt.Errorf("filter %q: %s is text; use %s:VALUE, %s:~PART or %s!=VALUE", word, name, name, name, name)
		}
		return t, nil
	}
	if t.op == ":~" || t.op == "!~" {
		return filterTerm{}, fmt.Errorf("filter %q: %s is a number; use : < <= > >= or !=", word, name)
	}
	n, err := parseFilterNumber(name, value)
	if err != nil {
		return filterTerm{}, fmt.Errorf("filter %q: %w", word, err)
	}
	t.num = n
	return t, nil
}

func parseFilterNumber(field, v string) (float64, error) {
	if field == "arch" {
		a, err := resnet.ParseArch(v)
		if err != nil {
			return 0, fmt.Errorf("arch %q: want 18, 34, 50 or 101 (r50, resnet50)", v)
		}
		return float64(a.Depth()), nil
	}
	pct := strings.HasSuffix(v, "%")
	n, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("%s wants a number, not %q", field, v)
	}
	if pct {
		n /= 100
	}
	return n, nil
}

// Match says whether the run satisfies every term.
func (f Filter) Match(r *Run) bool {
	for _, t := range f.terms {
		if !t.match(r) {
			return false
		}
	}
	return true
}

// Empty says whether the filter lets every run through.
func (f Filter) Empty() bool { return len(f.terms) == 0 }

func (t filterTerm) match(r *Run) bool {
	if t.field == "" {
		s := r.Meta.Spec
		hay := strings.ToLower(strings.Join([]string{r.ID, s.Name, s.DataName(), s.Arch.String(), string(s.Mode), string(r.Status.State), s.Head.String()}, " "))
		return strings.Contains(hay, t.text)
	}
	fld := filterFields[t.field]
	num, text := fld.value(r)
	if !fld.numeric {
		text = strings.ToLower(text)
		switch t.op {
		case ":":
			return text == t.text
		case ":~":
			return strings.Contains(text, t.text)
		case "!=":
			return text != t.text
		default: // "!~"
			return !strings.Contains(text, t.text)
		}
	}
	switch t.op {
	case ":":
		return num == t.num
	case "!=":
		return num != t.num
	case "<":
		return num < t.num
	case "<=":
		return num <= t.num
	case ">":
		return num > t.num
	default: // ">="
		return num >= t.num
	}
}
