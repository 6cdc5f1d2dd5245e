package pups

import "gopkg.in/yaml.v3"

// mergeYAML is pups' merge step: the YAML document deep-merged with data, as
// pups' deep_merge does it: maps merge key by key, a list replaces a list, a
// null in data keeps the document's value, anything else replaces it. The
// result is written by Go's YAML encoder, not Psych: same data, other layout.
func mergeYAML(doc []byte, data map[string]any) ([]byte, error) {
	var base map[string]any
	if err := yaml.Unmarshal(doc, &base); err != nil {
		return nil, err
	}
	if base == nil {
		base = map[string]any{}
	}
	deepMerge(base, data)
	return yaml.Marshal(base)
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			if _, ok := dst[k]; ok {
				continue
			}
		}
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}
