package versions

import (
	"reflect"
	"testing"

	"github.com/quadlaunch/quadlaunch/units"
)

func img(id string, tags ...string) Image {
	var rt []string
	for _, t := range tags {
		rt = append(rt, units.ImageRef("demo", t))
	}
	return Image{ID: id, RepoTags: rt, Labels: map[string]string{LabelCreated: "c-" + id}}
}

func names(vs []Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out
}

func TestFromImages(t *testing.T) {
	list := []Image{
		img("c", "20250103-000000", units.CurrentTag),
		img("a", "20250101-000000"),
		img("b2", "20250102-000000-10"),
		img("b", "20250102-000000-2", TagPrevious),
		{ID: "x", RepoTags: []string{"localhost/quadlaunch/demo-other:20250101-000000"}},
	}
	vs := FromImages("demo", list, map[string]bool{"c": true})
	want := []string{"20250101-000000", "20250102-000000-2", "20250102-000000-10", "20250103-000000"}
	if !reflect.DeepEqual(names(vs), want) {
		t.Fatalf("order %q, want %q", names(vs), want)
	}
	if !vs[3].Current || !vs[3].InUse || !vs[1].Previous || vs[0].Current {
		t.Fatalf("flags wrong: %+v", vs)
	}
}

func TestRollbackTarget(t *testing.T) {
	vs := []Version{
		{Version: "v1", ImageID: "a"},
		{Version: "v2", ImageID: "b", Previous: true},
		{Version: "v3", ImageID: "c", Current: true},
	}
	if v, err := RollbackTarget(vs, ""); err != nil || v.Version != "v2" {
		t.Fatalf("default target: %v %v, want previous v2", v, err)
	}
	if v, err := RollbackTarget(vs, "v1"); err != nil || v.Version != "v1" {
		t.Fatalf("explicit: %v %v", v, err)
	}
	if _, err := RollbackTarget(vs, "v9"); err == nil {
		t.Fatal("unknown version accepted")
	}
	if _, err := RollbackTarget(vs, "v3"); err == nil {
		t.Fatal("rollback to current accepted")
	}
	// No previous tag: the newest version older than current.
	vs[1].Previous = false
	if v, err := RollbackTarget(vs, ""); err != nil || v.Version != "v2" {
		t.Fatalf("fallback: %v %v", v, err)
	}
	if _, err := RollbackTarget(vs[2:], ""); err == nil {
		t.Fatal("a single version has nothing to roll back to")
	}
}

func TestCleanupSelection(t *testing.T) {
	vs := []Version{
		{Version: "v1", ImageID: "a", InUse: true},
		{Version: "v2", ImageID: "b", Previous: true},
		{Version: "v3", ImageID: "c"},
		{Version: "v4", ImageID: "d", Current: true},
		{Version: "v5", ImageID: "e"},
	}
	if got := names(CleanupSelection(vs, 1)); !reflect.DeepEqual(got, []string{"v3"}) {
		t.Fatalf("keep 1 removes %q, want [v3] (v1 in use, v2 previous, v4 current, v5 newest)", got)
	}
	if got := CleanupSelection(vs, 10); len(got) != 0 {
		t.Fatalf("keep 10 removes %v", got)
	}
	if got := names(CleanupSelection(vs, 0)); !reflect.DeepEqual(got, []string{"v3", "v5"}) {
		t.Fatalf("keep 0 removes %q", got)
	}
}

func TestVersionIDSortable(t *testing.T) {
	if !versionLess("20250101-235959", "20250102-000000") || !versionLess("20250102-000000", "20250102-000000-2") ||
		!versionLess("20250102-000000-9", "20250102-000000-10") {
		t.Fatal("version ordering")
	}
}
