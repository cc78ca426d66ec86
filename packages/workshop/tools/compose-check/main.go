// compose-check loads a compose file with compose-go, the library the Docker Compose CLI itself
// loads files with, and prints the resulting project as JSON. Loading validates the file
// against the Compose Specification's JSON schema and checks what a schema cannot (every
// depends_on names a service, merges and interpolation resolve, ...), so a file it accepts is
// one `docker compose` accepts too, without needing Docker here.
//
//	go run . ../../../../docker-compose.yml [overlay.yml ...]
//
// Several files are merged in order, as `docker compose -f a.yml -f b.yml` merges them.
// All profiles are enabled, so services behind a profile (k6) are checked as well. The host's
// environment is ignored: the file must work with the defaults it declares.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <compose file> [overlay file ...]")
		os.Exit(2)
	}
	files := make([]string, 0, len(os.Args)-1)
	for _, arg := range os.Args[1:] {
		file, err := filepath.Abs(arg)
		if err != nil {
			fail(err)
		}
		files = append(files, file)
	}
	// Relative paths resolve against the first file's folder, as with `docker compose -f`.
	options, err := cli.NewProjectOptions(
		files,
		cli.WithWorkingDirectory(filepath.Dir(files[0])),
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	var pretty any
	if err := json.Unmarshal(out, &pretty); err != nil {
		fail(err)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(pretty); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
