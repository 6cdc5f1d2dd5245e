package runtime

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
