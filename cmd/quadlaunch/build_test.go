package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"github.com/quadlaunch/quadlaunch/generator"
)

func TestRequireBaseImageNamesFileAndKey(t *testing.T) {
	err := requireBaseImage(&generator.App{Name: "web", ConfigPath: "/etc/quadlaunch/containers/web.yml"})
	if err == nil {
		t.Fatal("no error without base_image")
	}
	if !strings.HasPrefix(err.Error(), "/etc/quadlaunch/containers/web.yml: base_image: ") {
		t.Errorf("error %q does not start with file: key", err)
	}
	if ec, ok := err.(cli.ExitCoder); !ok || ec.ExitCode() != 1 {
		t.Errorf("error %T is not exit 1", err)
	}
	if err := requireBaseImage(&generator.App{Name: "web", BaseImage: "debian:13"}); err != nil {
		t.Errorf("with base_image: %v", err)
	}
}
