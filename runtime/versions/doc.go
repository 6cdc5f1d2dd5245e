// Package versions is an app's image history as the helper keeps it: the
// versions read from the images of the app's repo (FromImages: tags, labels,
// which one is current and previous, which ones a container uses), the
// choice of a rollback target and of what cleanup removes, the labels every
// built image carries, and the per-app lock every command that changes an
// app takes (AcquireLock), so that two commands never move current at once.
//
// It decides from values and files only: no Podman (package podman lists the
// images), no systemd. Of quadlaunch it imports units (image names) only.
package versions
