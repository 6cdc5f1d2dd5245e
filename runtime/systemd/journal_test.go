package systemd

import "testing"

func TestJournalLine(t *testing.T) {
	cases := []struct {
		line, msg, job string
	}{
		{`{"MESSAGE":"migrating","_PID":"12"}`, "migrating", ""},
		// The manager's "Finished" message carries the job and its result.
		{`{"MESSAGE":"Finished cli-migrate.service.","JOB_ID":"412","JOB_RESULT":"done","JOB_TYPE":"start"}`, "Finished cli-migrate.service.", "412"},
		{`{"MESSAGE":"Failed to start cli-migrate.service.","JOB_ID":"9","JOB_RESULT":"failed"}`, "Failed to start cli-migrate.service.", "9"},
		// A job id without a result is not the end of the job.
		{`{"MESSAGE":"Starting x...","JOB_ID":"9"}`, "Starting x...", ""},
		// Non-UTF-8 messages come as byte arrays.
		{`{"MESSAGE":[104,105,255]}`, "hi\xff", ""},
		{`not json`, "not json", ""},
	}
	for _, c := range cases {
		msg, job := JournalLine([]byte(c.line))
		if msg != c.msg || job != c.job {
			t.Errorf("%s: got (%q, %q), want (%q, %q)", c.line, msg, job, c.msg, c.job)
		}
	}
}

func TestExcerptDropsPodmanEvents(t *testing.T) {
	j := "Starting shop-web-next.service...\n" +
		"2026-11-22 00:04:30.596573713 +0000 UTC m=+0.031810850 container create 31d1 (image=x, name=shop-web-next)\n" +
		"demo serve: listening\n\n" +
		"2026-11-22 00:04:30.587386651 +0000 UTC m=+0.022623798 image pull fa6b localhost/quadlaunch/shop:current\n" +
		"line a\nline b\n"
	if got, want := excerpt(j, 3), "demo serve: listening\nline a\nline b"; got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
}
