package systemd

import (
	"slices"
	"testing"
	"time"
)

func TestParseJournalJSON(t *testing.T) {
	out := []byte(`{"MESSAGE":"shop: deploy","QUADLAUNCH_STEPS":[98,117,105,108,100,10,109,105,103],"__REALTIME_TIMESTAMP":"1796000000000000"}` + "\n\n" +
		`{"MESSAGE":"second"}` + "\n")
	es, err := ParseJournalJSON(out)
	if err != nil || len(es) != 2 {
		t.Fatalf("entries %v, %v", es, err)
	}
	if es[0]["QUADLAUNCH_STEPS"] != "build\nmig" || es[0]["MESSAGE"] != "shop: deploy" || es[1]["MESSAGE"] != "second" {
		t.Errorf("entries %v", es)
	}
	if _, err := ParseJournalJSON([]byte("{not json\n")); err == nil {
		t.Errorf("bad JSON accepted")
	}
}

func TestAuditJournalctlArgs(t *testing.T) {
	got := AuditJournalctlArgs("shop", false, 5)
	want := []string{"journalctl", "--no-pager", "-o", "json", "MESSAGE_ID=" + AuditMessageID, "QUADLAUNCH_APP=shop", "-n", "5"}
	if !slices.Equal(got, want) {
		t.Errorf("args %q, want %q", got, want)
	}
}

func TestBackoffIsBoundedAndGrows(t *testing.T) {
	b := Backoff{Attempts: 8, First: 10 * time.Second, Max: 5 * time.Minute}
	var got []time.Duration
	total := time.Duration(0)
	for i := 1; i <= b.Attempts; i++ {
		got = append(got, b.Delay(i))
		total += b.Delay(i)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if !slices.Equal(got, want) || total > 30*time.Minute {
		t.Errorf("delays %v (total %s), want %v", got, total, want)
	}
}
