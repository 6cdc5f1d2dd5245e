// Package systemd is the host's service manager as quadlaunch uses it: the
// D-Bus client (Manager: unit jobs that wait for their result, unit states,
// daemon-reload, transient units, signals), the journal (Logger writes a
// command's lines with structured fields; FollowUnit and JournalExcerpt read a
// unit's log back), and the manager's directories (RuntimeDir, ConfigDir).
//
// It knows units by name only: it imports nothing of quadlaunch's, so every
// package of the host layer can use it. What a unit means to an app (which
// roles, which slot is live) is the business of the packages above it.
package systemd
